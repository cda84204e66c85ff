// A stand-in EIP-1193 wallet injected into the page (window.ethereum) for the browser tests: it plays
// MetaMask. Requests are answered in Node: accounts and chain id from its test key; eth_signTypedData_v4 and
// personal_sign are signed with that key (each counts as one wallet prompt); with an L1 URL,
// eth_sendTransaction is signed with the key and sent to that L1 (a prompt too), and every other method
// (eth_call, receipts, blocks, ...) is forwarded to it as a wallet's own RPC would.

import type { Page } from "playwright-core";
import { type Hex, createWalletClient, defineChain, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export interface StandInWallet {
  readonly address: `0x${string}`;
  /** Signatures and transactions the page asked for. */
  prompts: number;
  /** L1 transactions it sent for the page. */
  sent: Hex[];
}

interface TxRequest {
  to?: Hex;
  data?: Hex;
  value?: Hex;
  gas?: Hex;
}

/** Installs the wallet on `page` (before its first navigation). */
export async function installStandInWallet(page: Page, key: Hex, o: { chainId: number; l1Url?: string }): Promise<StandInWallet> {
  const account = privateKeyToAccount(key);
  const w: StandInWallet = { address: account.address, prompts: 0, sent: [] };
  const chain = defineChain({ id: o.chainId, name: "l1", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [o.l1Url ?? ""] } } });
  const l1 = o.l1Url === undefined ? null : createWalletClient({ account, chain, transport: http(o.l1Url) });
  const forward = async (method: string, params: unknown[]): Promise<unknown> => {
    const res = await fetch(o.l1Url!, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
    if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };
  await page.exposeFunction("__walletRequest", async (method: string, params: unknown[]) => {
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return [account.address];
      case "eth_chainId":
        return "0x" + o.chainId.toString(16);
      case "eth_signTypedData_v4": {
        w.prompts++;
        const td = JSON.parse(params[1] as string) as { domain: Record<string, unknown>; types: Record<string, { name: string; type: string }[]>; primaryType: string; message: Record<string, unknown> };
        const { EIP712Domain: _, ...types } = td.types;
        const fields = types[td.primaryType]!;
        const message = Object.fromEntries(Object.entries(td.message).map(([k, v]) => [k, /int/.test(fields.find((f) => f.name === k)?.type ?? "") ? BigInt(v as string) : v]));
        return account.signTypedData({ domain: { ...td.domain, chainId: Number(td.domain.chainId) }, types, primaryType: td.primaryType, message } as Parameters<typeof account.signTypedData>[0]);
      }
      case "personal_sign":
        w.prompts++;
        return account.signMessage({ message: { raw: params[0] as Hex } });
      case "eth_sendTransaction": {
        if (l1 === null) throw new Error("stand-in wallet: no L1 configured");
        w.prompts++;
        const tx = params[0] as TxRequest;
        const hash = await l1.sendTransaction({ to: tx.to, data: tx.data, value: tx.value === undefined ? undefined : BigInt(tx.value), gas: tx.gas === undefined ? undefined : BigInt(tx.gas) });
        w.sent.push(hash);
        return hash;
      }
      default:
        if (o.l1Url === undefined) throw new Error(`stand-in wallet: ${method} not supported`);
        return forward(method, params);
    }
  });
  await page.addInitScript(() => {
    const g = globalThis as unknown as { ethereum: unknown; __walletRequest: (m: string, p: unknown[]) => Promise<unknown> };
    g.ethereum = { request: ({ method, params }: { method: string; params?: unknown[] }) => g.__walletRequest(method, params ?? []) };
  });
  return w;
}
