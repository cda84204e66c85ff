// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeOnTransferTokenDouble
/// @notice TEST DOUBLE: an ERC20 that burns 1% of every transfer (the Vault must refuse it).
contract FeeOnTransferTokenDouble is ERC20 {
    constructor() ERC20("Fee", "FEE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 fee = value / 100;
            super._update(from, address(0), fee);
            value -= fee;
        }
        super._update(from, to, value);
    }
}

interface IVaultLike {
    function deposit(uint32 assetId, address account, uint256 amount) external returns (uint64);
    function claim(uint64, address, uint32, uint64, bytes32, bytes32[] calldata) external;
}

/// @title ReentrantTokenDouble
/// @notice TEST DOUBLE: an ERC20 whose transfers call back into the Vault (the Vault must block reentrancy).
contract ReentrantTokenDouble is ERC20 {
    address public target;
    bytes public payload;

    constructor() ERC20("Reenter", "RE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (target != address(0) && from != address(0) && to != address(0)) {
            address t = target;
            target = address(0);
            (bool ok, bytes memory ret) = t.call(payload);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
        }
    }
}
