// Who trades from the page (docs/web.md "Signing"). Two ways:
// - an injected EIP-1193 wallet (MetaMask or any window.ethereum): the wallet signs one ApproveAgent for
//   an agent key the page generates and keeps in localStorage, and from then on the agent key signs orders
//   in the page without a prompt. Withdraw is not a trading kind, so the wallet signs it (one prompt).
//   Deposit and claim are L1 transactions sent through the same wallet.
// - on a devnet, one of the funded accounts rb_devnetAccounts lists: its key signs everything in the page.

import { type Address, type Chain, type EIP1193Provider, type Hex, type PublicClient, type WalletClient, createPublicClient, createWalletClient, custom } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { RollbookClient, walletSigner } from "../../client/client.ts";

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

export interface Identity {
  kind: "wallet" | "devnet";
  address: Address;
  label: string;
  /** Signs trading transactions (the agent key for a wallet, the account key on a devnet). */
  trader: RollbookClient;
  /** Signs as the account itself (Withdraw). */
  owner: RollbookClient;
  /** L1 access through the injected wallet (deposit, claim); null for a devnet key. */
  l1: { wallet: WalletClient; public: PublicClient } | null;
  /** The agent key's address (wallet mode). */
  agent: Address | null;
}

const AGENT_TTL_S = 7 * 24 * 3600;
const agentSlot = (account: string, chainId: number): string => `rollbook.agent.${chainId}.${account.toLowerCase()}`;

interface StoredAgent {
  key: Hex;
  expiry: number;
}

function loadAgent(account: string, chainId: number): StoredAgent | null {
  try {
    const s = JSON.parse(localStorage.getItem(agentSlot(account, chainId)) ?? "null") as StoredAgent | null;
    return s !== null && s.expiry > Date.now() / 1000 + 60 ? s : null;
  } catch {
    return null;
  }
}

/** Forgets the stored agent key (after the node refused it, e.g. revoked or expired). */
export function forgetAgent(account: string, chainId: number): void {
  localStorage.removeItem(agentSlot(account, chainId));
}

function l1Chain(id: number): Chain {
  return { id, name: `L1 ${id}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } };
}

/** Connects the injected wallet; approves an agent key once (one wallet prompt) unless a live one is stored. */
export async function connectWallet(url: string, onStep: (s: string) => void): Promise<Identity> {
  const provider = window.ethereum;
  if (provider === undefined) throw new Error("no injected wallet (window.ethereum) found");
  onStep("asking the wallet for an account...");
  const [address] = (await provider.request({ method: "eth_requestAccounts" })) as Address[];
  if (address === undefined) throw new Error("the wallet gave no account");
  const probe = new RollbookClient({ url });
  const domain = await probe.domain();
  const chain = l1Chain(domain.chainId);
  const wallet = createWalletClient({ account: address, chain, transport: custom(provider) });
  const publicClient = createPublicClient({ chain, transport: custom(provider) });
  const owner = new RollbookClient({ url, signer: walletSigner(wallet) });
  let stored = loadAgent(address, domain.chainId);
  if (stored === null) {
    const key = generatePrivateKey();
    const expiry = Math.floor(Date.now() / 1000) + AGENT_TTL_S;
    onStep("approve the trading key in your wallet (once)...");
    await owner.approveAgent(privateKeyToAccount(key).address, expiry);
    stored = { key, expiry };
    localStorage.setItem(agentSlot(address, domain.chainId), JSON.stringify(stored));
  }
  const agent = privateKeyToAccount(stored.key);
  const trader = new RollbookClient({ url, signer: agent, account: address });
  return { kind: "wallet", address, label: "wallet", trader, owner, l1: { wallet, public: publicClient as PublicClient }, agent: agent.address };
}

export interface DevnetAccount {
  label: string;
  address: Address;
  privateKey: Hex;
}

/** The devnet's funded accounts, or [] when the node is not a devnet. */
export async function devnetAccounts(client: RollbookClient): Promise<DevnetAccount[]> {
  try {
    return await client.request<DevnetAccount[]>("rb_devnetAccounts");
  } catch {
    return [];
  }
}

export function devnetIdentity(url: string, a: DevnetAccount): Identity {
  const signer = privateKeyToAccount(a.privateKey);
  const client = new RollbookClient({ url, signer });
  return { kind: "devnet", address: signer.address, label: a.label, trader: client, owner: client, l1: null, agent: null };
}
