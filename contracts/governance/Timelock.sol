// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title Timelock
/// @notice The suite's governance: OpenZeppelin's TimelockController, unchanged. It owns the Inbox, the Vault and
///         contracts-settle's contracts; every parameter change is scheduled here and executed after `minDelay`.
///         This wrapper only exists so that Hardhat emits an artifact the deploy script can deploy.
contract Timelock is TimelockController {
    /// @param minDelay Seconds between scheduling and executing an operation.
    /// @param proposers Accounts that may schedule (and cancel) operations.
    /// @param executors Accounts that may execute ready operations (address(0) in the list: anyone).
    /// @param admin Optional extra admin (address(0): the timelock administers itself).
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
