// The DisputeGame's claims as the challenger sees them (contracts/DisputeGame.sol): ClaimProposed events
// give each claim's public values (the game stores only their hash), getClaim() its live status, bonds and
// deadlines. ClaimBook keeps the events it has scanned and re-reads only claims that are still open.
import type { Address, Hex, PublicClient } from "viem";
import { hexToBytes, keccak256 } from "viem";
import { decodePublicValues, type PublicValues } from "../derive/commitment.ts";
import { disputeGameAbi } from "../l1/contracts.ts";
import { ChallengerError } from "./errors.ts";

/** DisputeGame.Status, same order as the Solidity enum. */
export const ClaimStatus = { None: 0, Pending: 1, Challenged: 2, Accepted: 3, Proven: 4, ChallengerWon: 5, Disproven: 6 } as const;
export type ClaimStatus = (typeof ClaimStatus)[keyof typeof ClaimStatus];

export const CLAIM_STATUS_NAME: Record<ClaimStatus, string> = {
  [ClaimStatus.None]: "none",
  [ClaimStatus.Pending]: "pending",
  [ClaimStatus.Challenged]: "challenged",
  [ClaimStatus.Accepted]: "accepted",
  [ClaimStatus.Proven]: "proven",
  [ClaimStatus.ChallengerWon]: "challenger-won",
  [ClaimStatus.Disproven]: "disproven",
};

export const isOpen = (s: ClaimStatus): boolean => s === ClaimStatus.Pending || s === ClaimStatus.Challenged;

export interface ClaimInfo {
  id: number;
  proposer: Address;
  proposerBond: bigint;
  /** Zero address until challenged. */
  challenger: Address;
  challengerBond: bigint;
  /** End of the challenge window (L1 seconds). */
  windowEnd: number;
  /** Proof deadline once challenged (0 before). */
  deadline: number;
  status: ClaimStatus;
  firstBatch: number;
  lastBatch: number;
  /** The claim's 320-byte public values as proposed (hex) and decoded. */
  publicValues: Hex;
  pv: PublicValues;
  /** L1 block of the ClaimProposed event. */
  proposedAt: number;
}

export interface ClaimBookOptions {
  client: PublicClient;
  game: Address;
  /** First L1 block that may hold ClaimProposed (the deployment block). */
  fromBlock: number;
  /** Blocks per eth_getLogs request (default 5000). */
  logRange?: number;
}

/** Claims of one DisputeGame, kept up to date by refresh(). */
export class ClaimBook {
  private readonly o: ClaimBookOptions;
  private scanned: number;
  private readonly claims = new Map<number, ClaimInfo>();

  constructor(o: ClaimBookOptions) {
    this.o = o;
    this.scanned = o.fromBlock - 1;
  }

  /** Scans new ClaimProposed events up to the L1 head and re-reads every open claim. Returns all claims by id. */
  async refresh(depth = 0): Promise<ClaimInfo[]> {
    const { client, game } = this.o;
    const head = Number(await client.getBlockNumber({ cacheTime: 0 }));
    const step = this.o.logRange ?? 5000;
    for (let from = this.scanned + 1; from <= head; from += step) {
      const to = Math.min(head, from + step - 1);
      const logs = await client.getContractEvents({ address: game, abi: disputeGameAbi, eventName: "ClaimProposed", fromBlock: BigInt(from), toBlock: BigInt(to), strict: true });
      for (const l of logs) {
        const a = l.args;
        const pv = decodePublicValues(hexToBytes(a.publicValues));
        if (pv === null) continue; // the game decodes them at proposal: cannot happen for a real DisputeGame
        this.claims.set(Number(a.claimId), {
          id: Number(a.claimId), proposer: a.proposer.toLowerCase() as Address, proposerBond: 0n, challenger: ZERO_ADDRESS, challengerBond: 0n,
          windowEnd: Number(a.windowEnd), deadline: 0, status: ClaimStatus.Pending, firstBatch: Number(a.firstBatch), lastBatch: Number(a.lastBatch),
          publicValues: a.publicValues, pv, proposedAt: Number(l.blockNumber),
        });
      }
      this.scanned = to;
    }
    const open = [...this.claims.values()].filter((c) => isOpen(c.status) || c.proposerBond === 0n);
    const gone = (await Promise.all(open.map(async (c) => ((await this.reload(c)) ? undefined : c)))).filter((c) => c !== undefined);
    if (gone.length > 0 && depth < 3) {
      // An L1 reorg removed or replaced these claims: forget them and scan again from where they were logged.
      for (const c of gone) this.claims.delete(c.id);
      this.scanned = Math.min(this.scanned, ...gone.map((c) => c.proposedAt - 1));
      return this.refresh(depth + 1);
    }
    return this.list();
  }

  /** Claims known after the last refresh, by id. */
  list(): ClaimInfo[] {
    return [...this.claims.values()].sort((a, b) => a.id - b.id);
  }

  /** One claim (refreshing its status from L1). */
  async get(id: number): Promise<ClaimInfo> {
    let c = this.claims.get(id);
    if (c === undefined || !(await this.reload(c))) {
      await this.refresh();
      c = this.claims.get(id);
    }
    if (c === undefined) throw new ChallengerError("UNKNOWN_CLAIM", `no claim ${id} on the DisputeGame ${this.o.game}`);
    return c;
  }

  /** Re-reads a claim's live fields; false if L1 no longer has this claim with these public values (a reorg). */
  private async reload(c: ClaimInfo): Promise<boolean> {
    const count = await this.o.client.readContract({ address: this.o.game, abi: disputeGameAbi, functionName: "claimCount" });
    if (BigInt(c.id) >= count) return false;
    const r = await this.o.client.readContract({ address: this.o.game, abi: disputeGameAbi, functionName: "getClaim", args: [BigInt(c.id)] });
    if (r.publicValuesHash.toLowerCase() !== keccak256(c.publicValues).toLowerCase()) return false;
    c.proposerBond = r.proposerBond;
    c.challenger = r.challenger.toLowerCase() as Address;
    c.challengerBond = r.challengerBond;
    c.windowEnd = Number(r.windowEnd);
    c.deadline = Number(r.deadline);
    c.status = r.status as ClaimStatus;
    return true;
  }
}

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000" as Address;
