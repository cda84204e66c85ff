// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title StateProof
/// @notice Inclusion proofs of ACCOUNT leaves against a rollup state root, verified exactly as docs/stf.md "State
///         commitment" / "Proofs" defines them (the 4-ary path-compressed keccak trie of node/state and the guest):
///         `keyPath = 0x04 ‖ H(key)[0:31]` with `key = 0x04 ‖ address`, `LEAF = H(0x00 ‖ leaf)`,
///         `NODE = H(0x01 ‖ h0 ‖ h1 ‖ h2 ‖ h3)`, siblings three per level from the root down in child order.
/// @dev ACCOUNT leaf (docs/stf.md "Leaves"): `0x04 ‖ addr ‖ u64 index ‖ u64 nonce ‖ u16 nb ‖ nb × (u32 asset ‖
///      u64 available ‖ u64 locked) ‖ u16 nm ‖ nm × (u32 market ‖ u32 openOrders)`, big-endian. The Vault's
///      desert-mode exit uses it to pay an account its `available + locked` of one asset.
library StateProof {
    /// @notice Tag byte of ACCOUNT leaves.
    uint8 internal constant TAG_ACCOUNT = 4;
    /// @notice Byte length of an ACCOUNT key (`0x04 ‖ address`).
    uint256 internal constant ACCOUNT_KEY_LENGTH = 21;
    /// @notice Deepest possible path: 128 two-bit digits.
    uint256 internal constant MAX_DEPTH = 128;

    /// @notice True if `leaf` is the ACCOUNT leaf of `account` and `siblings` lead from it to `root`.
    function verifyAccount(bytes32 root, address account, bytes calldata leaf, bytes32[] calldata siblings)
        internal
        pure
        returns (bool)
    {
        if (leaf.length < ACCOUNT_KEY_LENGTH || uint8(leaf[0]) != TAG_ACCOUNT) return false;
        if (address(bytes20(leaf[1:ACCOUNT_KEY_LENGTH])) != account) return false;
        uint256 n = siblings.length;
        if (n % 3 != 0 || n / 3 > MAX_DEPTH) return false;
        // keyPath = tag ‖ H(key)[0:31]
        uint256 path = (uint256(TAG_ACCOUNT) << 248) | (uint256(keccak256(leaf[0:ACCOUNT_KEY_LENGTH])) >> 8);
        bytes32 h = keccak256(abi.encodePacked(bytes1(0x00), leaf));
        for (uint256 i = n / 3; i > 0;) {
            unchecked {
                --i;
            }
            uint256 digit = (path >> (254 - 2 * i)) & 3;
            bytes32 s0 = siblings[3 * i];
            bytes32 s1 = siblings[3 * i + 1];
            bytes32 s2 = siblings[3 * i + 2];
            if (digit == 0) h = keccak256(abi.encodePacked(bytes1(0x01), h, s0, s1, s2));
            else if (digit == 1) h = keccak256(abi.encodePacked(bytes1(0x01), s0, h, s1, s2));
            else if (digit == 2) h = keccak256(abi.encodePacked(bytes1(0x01), s0, s1, h, s2));
            else h = keccak256(abi.encodePacked(bytes1(0x01), s0, s1, s2, h));
        }
        return h == root;
    }

    /// @notice `available + locked` of `assetId` in an ACCOUNT leaf (0 if the account has no entry for it).
    ///         `ok` is false if the leaf is malformed (too short for its declared balance list).
    function balanceOf(bytes calldata leaf, uint32 assetId) internal pure returns (bool ok, uint256 total) {
        uint256 o = ACCOUNT_KEY_LENGTH + 16; // after key, u64 index, u64 nonce
        if (leaf.length < o + 2) return (false, 0);
        uint256 nb = uint16(bytes2(leaf[o:o + 2]));
        o += 2;
        if (leaf.length < o + 20 * nb + 2) return (false, 0);
        for (uint256 k = 0; k < nb; ++k) {
            uint256 e = o + 20 * k;
            if (uint32(bytes4(leaf[e:e + 4])) == assetId) {
                return (true, uint256(uint64(bytes8(leaf[e + 4:e + 12]))) + uint64(bytes8(leaf[e + 12:e + 20])));
            }
        }
        return (true, 0);
    }
}
