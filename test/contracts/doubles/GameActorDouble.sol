// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeGame} from "../../../contracts/DisputeGame.sol";

/// @title GameActorDouble
/// @notice TEST DOUBLE: a contract that challenges claims and withdraws its credit, and on receiving ETH either
///         refuses it (mode 1) or tries to re-enter `withdraw` (mode 2). Used to test pull payments.
contract GameActorDouble {
    DisputeGame public immutable game;
    uint8 public mode;
    bool public reentryFailed;

    constructor(DisputeGame game_) {
        game = game_;
    }

    function setMode(uint8 mode_) external {
        mode = mode_;
    }

    function challenge(uint256 claimId) external payable {
        game.challenge{value: msg.value}(claimId);
    }

    function withdraw() external {
        game.withdraw();
    }

    receive() external payable {
        if (mode == 1) revert("no thanks");
        if (mode == 2) {
            try game.withdraw() {} catch { reentryFailed = true; }
        }
    }
}
