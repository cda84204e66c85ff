// Batched keccak256 for the state commitment (node/state). Plain C + node_api.h, no dependencies.
// Scalar keccak-f[1600] everywhere; an AVX-512 8-way path (runtime-detected) for single-block messages
// (length <= 135 bytes), which is every trie node (129 bytes) and almost every leaf, and for batches of
// equal-block-count messages up to 8 blocks (EIP-712 bulk actions).
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#ifdef __x86_64__
#include <immintrin.h>
#endif

static const uint64_t RC[24] = {
  0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
  0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
  0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
  0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
  0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
  0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

#define ROL(x, n) (((x) << (n)) | ((x) >> ((64 - (n)) & 63)))

// Scalar keccak-f[1600] with rho and pi written out (constant indices, lane i = x + 5y), so the compiler
// keeps the state in registers; the table-driven loop this replaces ran about 4x slower.
static void keccakf(uint64_t A[25]) {
  uint64_t B[25], C[5], D[5];
  for (int r = 0; r < 24; r++) {
#pragma GCC unroll 5
    for (int x = 0; x < 5; x++) C[x] = A[x] ^ A[x + 5] ^ A[x + 10] ^ A[x + 15] ^ A[x + 20];
#pragma GCC unroll 5
    for (int x = 0; x < 5; x++) D[x] = C[(x + 4) % 5] ^ ROL(C[(x + 1) % 5], 1);
    B[0] = A[0] ^ D[0];
    B[10] = ROL(A[1] ^ D[1], 1);
    B[20] = ROL(A[2] ^ D[2], 62);
    B[5] = ROL(A[3] ^ D[3], 28);
    B[15] = ROL(A[4] ^ D[4], 27);
    B[16] = ROL(A[5] ^ D[0], 36);
    B[1] = ROL(A[6] ^ D[1], 44);
    B[11] = ROL(A[7] ^ D[2], 6);
    B[21] = ROL(A[8] ^ D[3], 55);
    B[6] = ROL(A[9] ^ D[4], 20);
    B[7] = ROL(A[10] ^ D[0], 3);
    B[17] = ROL(A[11] ^ D[1], 10);
    B[2] = ROL(A[12] ^ D[2], 43);
    B[12] = ROL(A[13] ^ D[3], 25);
    B[22] = ROL(A[14] ^ D[4], 39);
    B[23] = ROL(A[15] ^ D[0], 41);
    B[8] = ROL(A[16] ^ D[1], 45);
    B[18] = ROL(A[17] ^ D[2], 15);
    B[3] = ROL(A[18] ^ D[3], 21);
    B[13] = ROL(A[19] ^ D[4], 8);
    B[14] = ROL(A[20] ^ D[0], 18);
    B[24] = ROL(A[21] ^ D[1], 2);
    B[9] = ROL(A[22] ^ D[2], 61);
    B[19] = ROL(A[23] ^ D[3], 56);
    B[4] = ROL(A[24] ^ D[4], 14);
#pragma GCC unroll 25
    for (int i = 0; i < 25; i++) {
      const int y = i - i % 5, x = i % 5;
      A[i] = B[i] ^ (~B[y + (x + 1) % 5] & B[y + (x + 2) % 5]);
    }
    A[0] ^= RC[r];
  }
}

static inline uint64_t load64(const uint8_t* p) { uint64_t v; memcpy(&v, p, 8); return v; } // little-endian host

static void keccak256(const uint8_t* in, size_t len, uint8_t* out) {
  uint64_t A[25];
  memset(A, 0, sizeof A);
  while (len >= 136) {
    for (int i = 0; i < 17; i++) A[i] ^= load64(in + 8 * i);
    keccakf(A);
    in += 136;
    len -= 136;
  }
  uint8_t block[136];
  memset(block, 0, 136);
  memcpy(block, in, len);
  block[len] ^= 0x01;
  block[135] ^= 0x80;
  for (int i = 0; i < 17; i++) A[i] ^= load64(block + 8 * i);
  keccakf(A);
  memcpy(out, A, 32);
}

#ifdef __x86_64__
// 8 independent messages of nb padded blocks each: block b of lane k is at blocks[1088 * b + 136 * k].
__attribute__((target("avx512f"))) static void keccak8_nblocks(const uint8_t* blocks, size_t nb, uint8_t* outs[8]) {
  __m512i A[25], B[25], C[5], D[5];
  const __m512i idx = _mm512_setr_epi64(0, 17, 34, 51, 68, 85, 102, 119);
  for (int i = 0; i < 25; i++) A[i] = _mm512_setzero_si512();
  for (size_t b = 0; b < nb; b++, blocks += 8 * 136) {
  for (int i = 0; i < 17; i++) A[i] = _mm512_xor_si512(A[i], _mm512_i64gather_epi64(idx, (const void*)(blocks + 8 * i), 8));
  for (int r = 0; r < 24; r++) {
    for (int x = 0; x < 5; x++)
      C[x] = _mm512_ternarylogic_epi64(_mm512_ternarylogic_epi64(A[x], A[x + 5], A[x + 10], 0x96), A[x + 15], A[x + 20], 0x96);
    for (int x = 0; x < 5; x++) D[x] = _mm512_xor_si512(C[(x + 4) % 5], _mm512_rol_epi64(C[(x + 1) % 5], 1));
    // pi destinations are compile-time constants here so the compiler keeps everything in registers.
    B[0] = _mm512_xor_si512(A[0], D[0]);
    B[10] = _mm512_rol_epi64(_mm512_xor_si512(A[1], D[1]), 1);
    B[20] = _mm512_rol_epi64(_mm512_xor_si512(A[2], D[2]), 62);
    B[5] = _mm512_rol_epi64(_mm512_xor_si512(A[3], D[3]), 28);
    B[15] = _mm512_rol_epi64(_mm512_xor_si512(A[4], D[4]), 27);
    B[16] = _mm512_rol_epi64(_mm512_xor_si512(A[5], D[0]), 36);
    B[1] = _mm512_rol_epi64(_mm512_xor_si512(A[6], D[1]), 44);
    B[11] = _mm512_rol_epi64(_mm512_xor_si512(A[7], D[2]), 6);
    B[21] = _mm512_rol_epi64(_mm512_xor_si512(A[8], D[3]), 55);
    B[6] = _mm512_rol_epi64(_mm512_xor_si512(A[9], D[4]), 20);
    B[7] = _mm512_rol_epi64(_mm512_xor_si512(A[10], D[0]), 3);
    B[17] = _mm512_rol_epi64(_mm512_xor_si512(A[11], D[1]), 10);
    B[2] = _mm512_rol_epi64(_mm512_xor_si512(A[12], D[2]), 43);
    B[12] = _mm512_rol_epi64(_mm512_xor_si512(A[13], D[3]), 25);
    B[22] = _mm512_rol_epi64(_mm512_xor_si512(A[14], D[4]), 39);
    B[23] = _mm512_rol_epi64(_mm512_xor_si512(A[15], D[0]), 41);
    B[8] = _mm512_rol_epi64(_mm512_xor_si512(A[16], D[1]), 45);
    B[18] = _mm512_rol_epi64(_mm512_xor_si512(A[17], D[2]), 15);
    B[3] = _mm512_rol_epi64(_mm512_xor_si512(A[18], D[3]), 21);
    B[13] = _mm512_rol_epi64(_mm512_xor_si512(A[19], D[4]), 8);
    B[14] = _mm512_rol_epi64(_mm512_xor_si512(A[20], D[0]), 18);
    B[24] = _mm512_rol_epi64(_mm512_xor_si512(A[21], D[1]), 2);
    B[9] = _mm512_rol_epi64(_mm512_xor_si512(A[22], D[2]), 61);
    B[19] = _mm512_rol_epi64(_mm512_xor_si512(A[23], D[3]), 56);
    B[4] = _mm512_rol_epi64(_mm512_xor_si512(A[24], D[4]), 14);
    for (int y = 0; y < 25; y += 5)
      for (int x = 0; x < 5; x++) A[y + x] = _mm512_ternarylogic_epi64(B[y + x], B[y + (x + 1) % 5], B[y + (x + 2) % 5], 0xD2);
    A[0] = _mm512_xor_si512(A[0], _mm512_set1_epi64((long long)RC[r]));
  }
  }
  uint64_t lanes[4][8];
  for (int i = 0; i < 4; i++) _mm512_storeu_si512((void*)lanes[i], A[i]);
  for (int k = 0; k < 8; k++)
    if (outs[k])
      for (int i = 0; i < 4; i++) memcpy(outs[k] + 8 * i, &lanes[i][k], 8);
}
#endif

static int g_avx512 = 0;

// A batch of single-block jobs collected 8 at a time.
typedef struct {
  uint8_t blocks[8 * 136];
  uint8_t* outs[8];
  int n;
} Lanes8;

static void lanes_flush(Lanes8* L) {
  if (L->n == 0) return;
#ifdef __x86_64__
  if (g_avx512) {
    for (int k = L->n; k < 8; k++) { memset(L->blocks + 136 * k, 0, 136); L->outs[k] = NULL; }
    keccak8_nblocks(L->blocks, 1, L->outs);
    L->n = 0;
    return;
  }
#endif
  for (int k = 0; k < L->n; k++) {
    uint64_t A[25];
    memset(A, 0, sizeof A);
    for (int i = 0; i < 17; i++) A[i] = load64(L->blocks + 136 * k + 8 * i);
    keccakf(A);
    memcpy(L->outs[k], A, 32);
  }
  L->n = 0;
}

// Queue a message of length <= 135 bytes given as up to 5 pieces (for gathering node children).
static inline uint8_t* lanes_slot(Lanes8* L, uint8_t* out) {
  if (L->n == 8) lanes_flush(L);
  uint8_t* b = L->blocks + 136 * L->n;
  L->outs[L->n++] = out;
  return b;
}

static void lanes_add(Lanes8* L, const uint8_t* msg, size_t len, uint8_t* out) {
  uint8_t* b = lanes_slot(L, out);
  memset(b, 0, 136);
  memcpy(b, msg, len);
  b[len] ^= 0x01;
  b[135] ^= 0x80;
}

// Messages of 136..1087 bytes (2..8 blocks) collected 8 at a time with the same block count, hashed 8-way
// (AVX-512 only): bulk transaction actions (352 bytes each) are the hot case.
#define MULTI_MAX_BLOCKS 8
typedef struct {
  uint8_t blocks[MULTI_MAX_BLOCKS * 8 * 136];
  uint8_t* outs[8];
  size_t nb;
  int n;
} LanesMulti;

static void multi_flush(LanesMulti* M) {
  if (M->n == 0) return;
#ifdef __x86_64__
  for (int k = M->n; k < 8; k++) {
    M->outs[k] = NULL;
    for (size_t b = 0; b < M->nb; b++) memset(M->blocks + 1088 * b + 136 * k, 0, 136);
  }
  keccak8_nblocks(M->blocks, M->nb, M->outs);
#endif
  M->n = 0;
}

// Hashes msg now (scalar) or queues it; the caller flushes before reading outputs.
static void multi_add(LanesMulti* M, const uint8_t* msg, size_t len, uint8_t* out) {
  size_t nb = len / 136 + 1;
  if (!g_avx512 || nb > MULTI_MAX_BLOCKS) { keccak256(msg, len, out); return; }
  if (M->n == 8 || (M->n > 0 && M->nb != nb)) multi_flush(M);
  M->nb = nb;
  const int k = M->n++;
  M->outs[k] = out;
  for (size_t b = 0; b < nb; b++) {
    uint8_t* dst = M->blocks + 1088 * b + 136 * k;
    size_t take = len - 136 * b < 136 ? len - 136 * b : 136;
    memcpy(dst, msg + 136 * b, take);
    if (take < 136) memset(dst + take, 0, 136 - take);
  }
  uint8_t* last = M->blocks + 1088 * (nb - 1) + 136 * k;
  last[len - 136 * (nb - 1)] ^= 0x01;
  last[135] ^= 0x80;
}

#define CHECK(x) do { if ((x) != napi_ok) { napi_throw_error(env, NULL, "keccak addon: bad arguments"); return NULL; } } while (0)

static int get_bytes(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  napi_typedarray_type t;
  size_t n, off;
  void* d;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &t, &n, &d, &ab, &off) != napi_ok) return 0;
  if (t != napi_uint8_array) return 0;
  *data = (uint8_t*)d;
  *len = n;
  return 1;
}

static int get_i32(napi_env env, napi_value v, int32_t** data, size_t* len) {
  napi_typedarray_type t;
  size_t n, off;
  void* d;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &t, &n, &d, &ab, &off) != napi_ok) return 0;
  if (t != napi_int32_array && t != napi_uint32_array) return 0;
  *data = (int32_t*)d;
  *len = n;
  return 1;
}

// keccakMany(data: Uint8Array, offsets: Uint32Array(count+1), out: Uint8Array(32*count)): out[i] = H(data[off[i]..off[i+1]])
static napi_value KeccakMany(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *data, *out;
  int32_t *offs, *outIdx = NULL;
  size_t dlen, olen, nOffs, nIdx = 0;
  if (argc < 3 || !get_bytes(env, argv[0], &data, &dlen) || !get_i32(env, argv[1], &offs, &nOffs) ||
      !get_bytes(env, argv[2], &out, &olen) || nOffs < 1 || 0) {
    napi_throw_error(env, NULL, "keccakMany: bad arguments");
    return NULL;
  }
  const uint32_t* o = (const uint32_t*)offs;
  size_t count = nOffs - 1;
  if (argc >= 4) {
    napi_valuetype vt;
    napi_typeof(env, argv[3], &vt);
    if (vt != napi_undefined && (!get_i32(env, argv[3], &outIdx, &nIdx) || nIdx < count)) {
      napi_throw_error(env, NULL, "keccakMany: bad outIdx");
      return NULL;
    }
  }
  if (!outIdx && olen < 32 * count) { napi_throw_error(env, NULL, "keccakMany: out too small"); return NULL; }
  for (size_t i = 0; outIdx && i < count; i++)
    if (outIdx[i] < 0 || (size_t)outIdx[i] >= olen / 32) { napi_throw_error(env, NULL, "keccakMany: outIdx out of range"); return NULL; }
  for (size_t i = 0; i < count; i++)
    if (o[i] > o[i + 1] || o[i + 1] > dlen) { napi_throw_error(env, NULL, "keccakMany: offsets out of range"); return NULL; }
  Lanes8 L;
  L.n = 0;
  LanesMulti M; // 8.7 KB on the stack: admission worker threads call this concurrently, so no statics
  M.n = 0;
  for (size_t i = 0; i < count; i++) {
    size_t len = o[i + 1] - o[i];
    uint8_t* dst = out + 32 * (outIdx ? (size_t)outIdx[i] : i);
    if (len <= 135) lanes_add(&L, data + o[i], len, dst);
    else multi_add(&M, data + o[i], len, dst);
  }
  lanes_flush(&L);
  multi_flush(&M);
  return NULL;
}

// keyPaths(data: Uint8Array, offsets: Uint32Array(count+1), out: Uint8Array(32*count), keyLen: Int32Array(256),
//          hashedTags: number) -> -1, or the index of the first item whose tag has no key length or is shorter
// than its key. Item i is a leaf encoding (or a bare key) data[off[i]..off[i+1]]; its key is its first
// keyLen[tag] bytes. Key path (docs/stf.md "Trie"): tag < 32 with bit `tag` of hashedTags set:
// tag || keccak256(key)[0..31]; otherwise the key zero-padded to 32 bytes (keys longer than 32 bytes are
// refused like bad tags).
static inline int is_hashed(uint8_t tag, uint32_t hashedTags) { return tag < 32 && ((hashedTags >> tag) & 1u); }

static napi_value KeyPaths(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *data, *out;
  int32_t *offs, *kl;
  size_t dlen, olen, nOffs, nkl;
  uint32_t hashed;
  if (argc < 5 || !get_bytes(env, argv[0], &data, &dlen) || !get_i32(env, argv[1], &offs, &nOffs) ||
      !get_bytes(env, argv[2], &out, &olen) || !get_i32(env, argv[3], &kl, &nkl) || nkl < 256 || nOffs < 1 ||
      napi_get_value_uint32(env, argv[4], &hashed) != napi_ok) {
    napi_throw_error(env, NULL, "keyPaths: bad arguments");
    return NULL;
  }
  const uint32_t* o = (const uint32_t*)offs;
  size_t count = nOffs - 1;
  if (olen < 32 * count) { napi_throw_error(env, NULL, "keyPaths: out too small"); return NULL; }
  int64_t bad = -1;
  Lanes8 L;
  L.n = 0;
  for (size_t i = 0; i < count; i++) {
    if (o[i] >= o[i + 1] || o[i + 1] > dlen) { bad = (int64_t)i; break; }
    const uint8_t* e = data + o[i];
    int32_t k = kl[e[0]];
    if (k <= 0 || k > 32 || (uint32_t)k > o[i + 1] - o[i]) { bad = (int64_t)i; break; }
    uint8_t* dst = out + 32 * i;
    if (is_hashed(e[0], hashed)) {
      lanes_add(&L, e, (size_t)k, dst);
    } else {
      memcpy(dst, e, (size_t)k);
      memset(dst + k, 0, 32 - (size_t)k);
    }
  }
  lanes_flush(&L);
  size_t done = bad < 0 ? count : (size_t)bad;
  for (size_t i = 0; i < done; i++) {
    const uint8_t* e = data + o[i];
    if (!is_hashed(e[0], hashed)) continue;
    uint8_t* dst = out + 32 * i;
    memmove(dst + 1, dst, 31);
    dst[0] = e[0];
  }
  napi_value r;
  napi_create_int64(env, bad, &r);
  return r;
}

// hashNodes(children: Int32Array(4*cap), nodeHash: Uint8Array(32*cap), leafHash: Uint8Array, list: Int32Array, groupEnds: Int32Array)
// Child ref r: 0 empty (32 zero bytes), r > 0 internal node r-1 (nodeHash), r < 0 leaf -r-1 (leafHash).
// node hash = keccak256(0x01 || c0 || c1 || c2 || c3). Nodes of one group are independent; groups run in order.
// Hash the nodes of `list` in groups (ends[g] = end of group g; a group may read results of earlier ones).
// Returns 0, or -1 if a node or child ref is out of range (nothing after it is hashed).
static int hash_node_groups(const int32_t* children, uint8_t* nodeHash, const uint8_t* leafHash, size_t nodeCap,
                            size_t leafCap, const int32_t* list, size_t nl, const int32_t* ends, size_t ne) {
  static const uint8_t ZERO[32] = {0};
  Lanes8 L;
  L.n = 0;
  size_t start = 0;
  for (size_t g = 0; g < ne; g++) {
    size_t end = (size_t)ends[g];
    if (end > nl || end < start) return -1;
    for (size_t j = start; j < end; j++) {
      int32_t n = list[j];
      if (n < 0 || (size_t)n >= nodeCap) return -1;
      // Software prefetch: the child row 16 nodes ahead, the child hashes 8 nodes ahead (random access).
      if (j + 16 < end && (size_t)list[j + 16] < nodeCap) __builtin_prefetch(children + 4 * (size_t)list[j + 16]);
      if (j + 8 < end && (size_t)list[j + 8] < nodeCap) {
        const int32_t* cr = children + 4 * (size_t)list[j + 8];
        for (int k = 0; k < 4; k++) {
          int32_t r = cr[k];
          if (r > 0 && (size_t)(r - 1) < nodeCap) __builtin_prefetch(nodeHash + 32 * (size_t)(r - 1));
          else if (r < 0 && (size_t)(-(int64_t)r - 1) < leafCap) __builtin_prefetch(leafHash + 32 * (size_t)(-(int64_t)r - 1));
        }
      }
      uint8_t* b = lanes_slot(&L, nodeHash + 32 * (size_t)n);
      b[0] = 0x01;
      for (int k = 0; k < 4; k++) {
        int32_t r = children[4 * n + k];
        const uint8_t* src;
        if (r == 0) src = ZERO;
        else if (r > 0) { if ((size_t)(r - 1) >= nodeCap) return -1; src = nodeHash + 32 * (size_t)(r - 1); }
        else { if ((size_t)(-(int64_t)r - 1) >= leafCap) return -1; src = leafHash + 32 * (size_t)(-(int64_t)r - 1); }
        memcpy(b + 1 + 32 * k, src, 32);
      }
      memset(b + 129, 0, 7);
      b[129] = 0x01;
      b[135] = 0x80;
    }
    lanes_flush(&L);  // the next group may read these results
    start = end;
  }
  return 0;
}

static napi_value HashNodes(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t *children, *list, *ends;
  uint8_t *nodeHash, *leafHash;
  size_t nc, nh, lh, nl, ne;
  if (argc < 5 || !get_i32(env, argv[0], &children, &nc) || !get_bytes(env, argv[1], &nodeHash, &nh) ||
      !get_bytes(env, argv[2], &leafHash, &lh) || !get_i32(env, argv[3], &list, &nl) || !get_i32(env, argv[4], &ends, &ne)) {
    napi_throw_error(env, NULL, "hashNodes: bad arguments");
    return NULL;
  }
  size_t nodeCap = nc / 4;
  if (nh / 32 < nodeCap) nodeCap = nh / 32;
  if (hash_node_groups(children, nodeHash, leafHash, nodeCap, lh / 32, list, nl, ends, ne) != 0) {
    napi_throw_error(env, NULL, "hashNodes: node or child out of range");
  }
  return NULL;
}

// hashDirtyNodes(children, nodeHash, leafHash, dirty: Int32Array, count, nodeFlag: Uint8Array,
//                nodeDepth: Uint8Array) -> nodes hashed
// The commit's node pass in one call: the first `count` entries of `dirty` whose nodeFlag is 1 (the flag is
// cleared; freed nodes have it 0, repeats are skipped), grouped by depth, deepest first, then hashed as
// hashNodes does.
static napi_value HashDirtyNodes(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t *children, *dirty;
  uint8_t *nodeHash, *leafHash, *flag, *depth;
  size_t nc, nh, lh, nd, nf, ndep;
  uint32_t count;
  if (argc < 7 || !get_i32(env, argv[0], &children, &nc) || !get_bytes(env, argv[1], &nodeHash, &nh) ||
      !get_bytes(env, argv[2], &leafHash, &lh) || !get_i32(env, argv[3], &dirty, &nd) ||
      napi_get_value_uint32(env, argv[4], &count) != napi_ok || !get_bytes(env, argv[5], &flag, &nf) ||
      !get_bytes(env, argv[6], &depth, &ndep) || count > nd) {
    napi_throw_error(env, NULL, "hashDirtyNodes: bad arguments");
    return NULL;
  }
  size_t nodeCap = nc / 4;
  if (nh / 32 < nodeCap) nodeCap = nh / 32;
  if (nf < nodeCap) nodeCap = nf;
  if (ndep < nodeCap) nodeCap = ndep;
  int32_t* live = (int32_t*)malloc(sizeof(int32_t) * (count > 0 ? count : 1));
  int32_t* list = (int32_t*)malloc(sizeof(int32_t) * (count > 0 ? count : 1));
  if (live == NULL || list == NULL) { free(live); free(list); napi_throw_error(env, NULL, "hashDirtyNodes: out of memory"); return NULL; }
  size_t counts[256] = {0};
  size_t cnt = 0;
  int maxD = 0;
  for (size_t j = 0; j < count; j++) {
    int32_t n = dirty[j];
    if (n < 0 || (size_t)n >= nodeCap || flag[n] != 1) continue;
    flag[n] = 0;
    live[cnt++] = n;
    counts[depth[n]]++;
    if (depth[n] > maxD) maxD = depth[n];
  }
  size_t start[256];
  int32_t ends[256];
  size_t ne = 0, acc = 0;
  for (int d = maxD; d >= 0; d--) {
    start[d] = acc;
    acc += counts[d];
    if (counts[d] > 0) ends[ne++] = (int32_t)acc;
  }
  for (size_t j = 0; j < cnt; j++) list[start[depth[live[j]]]++] = live[j];
  int rc = hash_node_groups(children, nodeHash, leafHash, nodeCap, lh / 32, list, cnt, ends, ne);
  free(live);
  free(list);
  if (rc != 0) { napi_throw_error(env, NULL, "hashDirtyNodes: node or child out of range"); return NULL; }
  napi_value out;
  napi_create_uint32(env, (uint32_t)cnt, &out);
  return out;
}

// Stable MSD radix sort of idx[0..n) by key path (32 bytes at kps + 32 * idx[i]) from byte `b` on; tmp has
// room for n entries. Small ranges finish by insertion sort.
static void sort_paths(const uint8_t* kps, int32_t* idx, int32_t* tmp, size_t n, int b) {
  while (n > 16 && b < 32) {
    uint32_t cnt[257];
    memset(cnt, 0, sizeof(cnt));
    for (size_t i = 0; i < n; i++) cnt[kps[32 * (size_t)idx[i] + b] + 1]++;
    // one bucket: nothing to move at this byte
    int single = 0;
    for (int v = 1; v <= 256; v++) if (cnt[v] == n) { single = 1; break; }
    if (single) { b++; continue; }
    for (int v = 1; v <= 256; v++) cnt[v] += cnt[v - 1];
    uint32_t pos[256];
    memcpy(pos, cnt, sizeof(pos));
    for (size_t i = 0; i < n; i++) tmp[pos[kps[32 * (size_t)idx[i] + b]]++] = idx[i];
    memcpy(idx, tmp, n * sizeof(int32_t));
    for (int v = 0; v < 256; v++) {
      size_t lo = cnt[v], hi = cnt[v + 1];
      if (hi - lo > 1) sort_paths(kps, idx + lo, tmp + lo, hi - lo, b + 1);
    }
    return;
  }
  if (b >= 32) return;
  for (size_t i = 1; i < n; i++) {
    int32_t x = idx[i];
    size_t j = i;
    while (j > 0 && memcmp(kps + 32 * (size_t)idx[j - 1] + b, kps + 32 * (size_t)x + b, 32 - (size_t)b) > 0) {
      idx[j] = idx[j - 1];
      j--;
    }
    idx[j] = x;
  }
}

// keyPathOrder(kps: Uint8Array(32n), order: Uint32Array(n)): the stable permutation of the n key paths in
// key-path order (node/state/trie.ts keyPathOrder is the JS twin; the order changes no result, only locality).
static napi_value KeyPathOrder(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t* kps;
  int32_t* order;
  size_t nk, no;
  if (argc < 2 || !get_bytes(env, argv[0], &kps, &nk) || !get_i32(env, argv[1], &order, &no) || nk < 32 * no) {
    napi_throw_error(env, NULL, "keyPathOrder: bad arguments");
    return NULL;
  }
  int32_t* tmp = (int32_t*)malloc((no > 0 ? no : 1) * sizeof(int32_t));
  if (tmp == NULL) { napi_throw_error(env, NULL, "keyPathOrder: out of memory"); return NULL; }
  for (size_t i = 0; i < no; i++) order[i] = (int32_t)i;
  sort_paths(kps, order, tmp, no, 0);
  free(tmp);
  return NULL;
}

// Queue the slot leaf l for hashing into leafHash[l]: keccak256(0x00 || arena[slot*l .. slot*l + lens[l]]).
static inline void queue_slot_leaf(Lanes8* L, const uint8_t* arena, const uint16_t* lens, uint8_t* leafHash, int32_t l, uint32_t slot) {
  uint8_t* b = lanes_slot(L, leafHash + 32 * (size_t)l);
  size_t len = lens[l];
  memset(b, 0, 136);
  memcpy(b + 1, arena + (size_t)l * slot, len);  // b[0] = 0x00: leaf domain tag
  b[len + 1] ^= 0x01;
  b[135] ^= 0x80;
}

// hashLeaves(arena: Uint8Array(slot*cap), lens: Uint16Array(cap), list: Int32Array, leafHash: Uint8Array(32*cap), slot)
// leafHash[l] = keccak256(0x00 || arena[slot*l .. slot*l + lens[l]]) for l in list; lens[l] <= slot <= 134.
static napi_value HashLeaves(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *arena, *leafHash;
  int32_t* list;
  size_t an, ln, nl, lh;
  uint32_t slot;
  napi_typedarray_type t;
  void* d;
  napi_value ab;
  size_t off;
  if (argc < 5 || !get_bytes(env, argv[0], &arena, &an) || napi_get_typedarray_info(env, argv[1], &t, &ln, &d, &ab, &off) != napi_ok ||
      t != napi_uint16_array || !get_i32(env, argv[2], &list, &nl) || !get_bytes(env, argv[3], &leafHash, &lh) ||
      napi_get_value_uint32(env, argv[4], &slot) != napi_ok || slot > 134) {
    napi_throw_error(env, NULL, "hashLeaves: bad arguments");
    return NULL;
  }
  const uint16_t* lens = (const uint16_t*)d;
  Lanes8 L;
  L.n = 0;
  for (size_t j = 0; j < nl; j++) {
    int32_t l = list[j];
    if (l < 0 || (size_t)l >= ln || (size_t)l >= lh / 32 || (size_t)(l + 1) * slot > an || lens[l] > slot) {
      napi_throw_error(env, NULL, "hashLeaves: leaf out of range");
      return NULL;
    }
    if (j + 8 < nl && (size_t)(list[j + 8] + 1) * slot <= an) __builtin_prefetch(arena + (size_t)list[j + 8] * slot);
    queue_slot_leaf(&L, arena, lens, leafHash, l, slot);
  }
  lanes_flush(&L);
  return NULL;
}

// hashDirtyLeaves(arena, lens: Uint16Array, dirty: Int32Array, count, leafFlag: Uint8Array, leafHash, slot,
//                 big: Int32Array(count + 1)) -> leaves hashed
// The commit's leaf pass in one call: each of the first `count` entries of `dirty` whose leafFlag is 1 (the
// flag is cleared; repeats are skipped) is hashed as hashLeaves does, except leaves longer than a slot
// (lens 0xffff), which are listed in big[1 .. big[0]] for the caller.
static napi_value HashDirtyLeaves(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *arena, *flag, *leafHash;
  int32_t *dirty, *big;
  size_t an, ln, nd, nf, lh, nb;
  uint32_t count, slot;
  napi_typedarray_type t;
  void* d;
  napi_value ab;
  size_t off;
  if (argc < 8 || !get_bytes(env, argv[0], &arena, &an) || napi_get_typedarray_info(env, argv[1], &t, &ln, &d, &ab, &off) != napi_ok ||
      t != napi_uint16_array || !get_i32(env, argv[2], &dirty, &nd) || napi_get_value_uint32(env, argv[3], &count) != napi_ok ||
      !get_bytes(env, argv[4], &flag, &nf) || !get_bytes(env, argv[5], &leafHash, &lh) ||
      napi_get_value_uint32(env, argv[6], &slot) != napi_ok || slot > 134 || !get_i32(env, argv[7], &big, &nb) ||
      count > nd || nb < (size_t)count + 1) {
    napi_throw_error(env, NULL, "hashDirtyLeaves: bad arguments");
    return NULL;
  }
  const uint16_t* lens = (const uint16_t*)d;
  size_t cap = ln;
  if (nf < cap) cap = nf;
  if (lh / 32 < cap) cap = lh / 32;
  if (slot > 0 && an / slot < cap) cap = an / slot;
  Lanes8 L;
  L.n = 0;
  uint32_t hashed = 0, nBig = 0;
  for (size_t j = 0; j < count; j++) {
    int32_t l = dirty[j];
    if (l < 0 || (size_t)l >= cap) { napi_throw_error(env, NULL, "hashDirtyLeaves: leaf out of range"); return NULL; }
    if (j + 8 < count && dirty[j + 8] >= 0 && (size_t)dirty[j + 8] < cap) __builtin_prefetch(arena + (size_t)dirty[j + 8] * slot);
    if (flag[l] != 1) continue;
    flag[l] = 0;
    if (lens[l] == 0xffff) { big[1 + nBig++] = l; continue; }
    if (lens[l] > slot) { napi_throw_error(env, NULL, "hashDirtyLeaves: leaf longer than its slot"); return NULL; }
    queue_slot_leaf(&L, arena, lens, leafHash, l, slot);
    hashed++;
  }
  lanes_flush(&L);
  big[0] = (int32_t)nBig;
  napi_value out;
  napi_create_uint32(env, hashed, &out);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// trieApply: the structural part of Trie.commit (node/state/trie.ts) for a batch of operations, with the
// same pools the JS implementation uses. Canonical 4-ary trie; child ref r: 0 empty, r > 0 node r-1,
// r < 0 leaf -r-1. Stops early (returns the next op index) when a pool or a dirty list could overflow;
// the caller grows them and calls again.
enum { M_ROOT, M_NODETOP, M_NODECAP, M_LEAFTOP, M_LEAFCAP, M_NODEFREEN, M_LEAFFREEN, M_LEAFCOUNT, M_DIRTYN, M_DIRTYL, M_DIRTYNCAP, M_DIRTYLCAP, M_NODEFREECAP, M_LEAFFREECAP, M_LEN };

typedef struct {
  int32_t* meta;
  int32_t* children;
  uint8_t* nodeDepth;
  uint8_t* nodeFlag;
  uint8_t* leafKey;
  uint8_t* leafFlag;
  int32_t* nodeFree;
  int32_t* leafFree;
  int32_t* dirtyNodes;
  int32_t* dirtyLeaves;
} TrieT;

static inline int digit_at(const uint8_t* kp, int i) { return (kp[i >> 2] >> (6 - ((i & 3) << 1))) & 3; }

static inline void mark_node(TrieT* t, int32_t n) {
  if (t->nodeFlag[n] == 0) {
    t->nodeFlag[n] = 1;
    t->dirtyNodes[t->meta[M_DIRTYN]++] = n;
  }
}

static int32_t new_node(TrieT* t, int depth) {
  int32_t n;
  if (t->meta[M_NODEFREEN] > 0) n = t->nodeFree[--t->meta[M_NODEFREEN]];
  else n = t->meta[M_NODETOP]++;
  t->children[4 * n] = t->children[4 * n + 1] = t->children[4 * n + 2] = t->children[4 * n + 3] = 0;
  t->nodeDepth[n] = (uint8_t)depth;
  t->nodeFlag[n] = 0;
  return n;
}

static void free_node(TrieT* t, int32_t n) {
  t->nodeFlag[n] = 0;
  t->nodeFree[t->meta[M_NODEFREEN]++] = n;
}

static int32_t new_leaf(TrieT* t, const uint8_t* kp) {
  int32_t l;
  if (t->meta[M_LEAFFREEN] > 0) l = t->leafFree[--t->meta[M_LEAFFREEN]];
  else l = t->meta[M_LEAFTOP]++;
  memcpy(t->leafKey + 32 * (size_t)l, kp, 32);
  t->leafFlag[l] = 1;
  t->dirtyLeaves[t->meta[M_DIRTYL]++] = l;
  t->meta[M_LEAFCOUNT]++;
  return l;
}

static inline void set_slot(TrieT* t, int32_t pn, int pd, int32_t ref) {
  if (pn < 0) t->meta[M_ROOT] = ref;
  else t->children[4 * pn + pd] = ref;
}

// Consecutive ops (sorted by key path) share their upper path: each walk starts from the node the previous
// walk recorded at the depth where the two key paths part (Path), instead of from the root. Invariant: the
// recorded nodes are live and marked dirty (so a walk starting below them still gets its ancestors rehashed);
// a removal keeps only the nodes above what it collapsed, a no-op removal forgets the record.
typedef struct {
  int32_t n[132];     // n[d]: the internal node at depth d on the previous op's path
  int len;            // valid entries
  const uint8_t* kp;  // the previous op's key path
} Path;

// Number of leading 2-bit digits two key paths share (128 when equal).
static inline int common_digits(const uint8_t* a, const uint8_t* b) {
  for (int i = 0; i < 32; i++) {
    uint8_t x = a[i] ^ b[i];
    if (x != 0) return 4 * i + (__builtin_clz((unsigned)x) - 24) / 2;
  }
  return 128;
}

// Where a walk for kp may start: sets *depth, *pn, *pd and returns the ref at that depth.
static inline int32_t walk_start(TrieT* t, const Path* P, const uint8_t* kp, int* depth, int32_t* pn, int* pd) {
  int c = P->len > 0 && P->kp != NULL ? common_digits(kp, P->kp) : 0;
  if (c > P->len - 1) c = P->len - 1;
  if (c <= 0) {
    *depth = 0;
    *pn = -1;
    *pd = 0;
    return t->meta[M_ROOT];
  }
  *depth = c;
  *pn = P->n[c - 1];
  *pd = digit_at(kp, c - 1);
  return P->n[c] + 1;
}

// returns the leaf index written
static int32_t trie_insert(TrieT* t, const uint8_t* kp, Path* P) {
  int depth;
  int32_t pn;
  int pd;
  int32_t ref = walk_start(t, P, kp, &depth, &pn, &pd);
  while (ref > 0) {
    int32_t n = ref - 1;
    mark_node(t, n);
    P->n[depth] = n;
    int d = digit_at(kp, depth);
    pn = n;
    pd = d;
    ref = t->children[4 * n + d];
    depth++;
  }
  P->kp = kp;
  P->len = depth;
  if (ref == 0) {
    int32_t l = new_leaf(t, kp);
    set_slot(t, pn, pd, -(l + 1));
    return l;
  }
  int32_t l = -ref - 1;
  const uint8_t* lk = t->leafKey + 32 * (size_t)l;
  if (memcmp(lk, kp, 32) == 0) {
    if (t->leafFlag[l] != 1) {
      t->leafFlag[l] = 1;
      t->dirtyLeaves[t->meta[M_DIRTYL]++] = l;
    }
    return l;
  }
  int32_t nl = new_leaf(t, kp);
  lk = t->leafKey + 32 * (size_t)l;
  for (;;) {
    if (depth >= 128) return -2;
    int32_t n = new_node(t, depth);
    set_slot(t, pn, pd, n + 1);
    mark_node(t, n);
    P->n[depth] = n;
    P->len = depth + 1;
    int da = digit_at(lk, depth);
    int db = digit_at(kp, depth);
    if (da != db) {
      t->children[4 * n + da] = -(l + 1);
      t->children[4 * n + db] = -(nl + 1);
      return nl;
    }
    pn = n;
    pd = da;
    depth++;
  }
}

static void trie_remove(TrieT* t, const uint8_t* kp, Path* P) {
  int depth;
  int32_t pn;
  int pd;
  int32_t ref = walk_start(t, P, kp, &depth, &pn, &pd);
  int sp = depth;  // P->n[0..depth) is this key's path so far
  while (ref > 0) {
    int32_t n = ref - 1;
    P->n[sp++] = n;
    ref = t->children[4 * n + digit_at(kp, depth)];
    depth++;
  }
  P->kp = kp;
  // an absent key changes nothing and marks nothing: the recorded nodes need not be dirty, forget them
  if (ref == 0) { P->len = 0; return; }
  int32_t l = -ref - 1;
  if (memcmp(t->leafKey + 32 * (size_t)l, kp, 32) != 0) { P->len = 0; return; }
  P->len = sp;
  t->leafFlag[l] = 0;
  t->leafFree[t->meta[M_LEAFFREEN]++] = l;
  t->meta[M_LEAFCOUNT]--;
  if (sp == 0) {
    t->meta[M_ROOT] = 0;
    return;
  }
  int32_t* sN = P->n;
  t->children[4 * sN[sp - 1] + digit_at(kp, sp - 1)] = 0;
  int i = sp - 1;
  while (i >= 0) {
    int32_t n = sN[i];
    int cnt = 0;
    int32_t only = 0;
    for (int k = 0; k < 4; k++) {
      int32_t r = t->children[4 * n + k];
      if (r != 0) {
        cnt++;
        only = r;
      }
    }
    if (cnt > 1 || (cnt == 1 && only > 0)) break;
    free_node(t, n);
    set_slot(t, i > 0 ? sN[i - 1] : -1, i > 0 ? digit_at(kp, i - 1) : 0, only);
    i--;
  }
  for (int j = 0; j <= i; j++) mark_node(t, sN[j]);
  // nodes below i were freed: the recorded path is valid only down to i
  P->len = i + 1;
}

// trieApply(meta, children, nodeDepth, nodeFlag, leafKey, leafFlag, nodeFree, leafFree, dirtyNodes,
//           dirtyLeaves, kps, isDel, opLeaf, start, order?) -> next position
// Applies op order[j] (op j without `order`) for positions j = start, start + 1, ...; op i's key path is
// kps[32i..], its kind isDel[i], its result goes to opLeaf[i].
static napi_value TrieApply(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 14) { napi_throw_error(env, NULL, "trieApply: arguments"); return NULL; }
  TrieT t;
  size_t nMeta, nCh, nDepth, nNF, nLK, nLF, nNFree, nLFree, nDN, nDL, nKps, nDel, nOpLeaf;
  uint32_t start;
  int32_t* kps32;
  uint8_t *kps, *isDel;
  int32_t* opLeaf;
  if (!get_i32(env, argv[0], &t.meta, &nMeta) || nMeta < M_LEN || !get_i32(env, argv[1], &t.children, &nCh) ||
      !get_bytes(env, argv[2], &t.nodeDepth, &nDepth) || !get_bytes(env, argv[3], &t.nodeFlag, &nNF) ||
      !get_bytes(env, argv[4], &t.leafKey, &nLK) || !get_bytes(env, argv[5], &t.leafFlag, &nLF) ||
      !get_i32(env, argv[6], &t.nodeFree, &nNFree) || !get_i32(env, argv[7], &t.leafFree, &nLFree) ||
      !get_i32(env, argv[8], &t.dirtyNodes, &nDN) || !get_i32(env, argv[9], &t.dirtyLeaves, &nDL) ||
      !get_bytes(env, argv[10], &kps, &nKps) || !get_bytes(env, argv[11], &isDel, &nDel) ||
      !get_i32(env, argv[12], &opLeaf, &nOpLeaf) || napi_get_value_uint32(env, argv[13], &start) != napi_ok) {
    napi_throw_error(env, NULL, "trieApply: bad arguments");
    return NULL;
  }
  (void)kps32;
  size_t nOps = nDel;
  if (nKps < 32 * nOps || nOpLeaf < nOps) { napi_throw_error(env, NULL, "trieApply: op arrays"); return NULL; }
  int32_t* order = NULL;
  if (argc >= 15) {
    napi_valuetype vt;
    size_t nOrder;
    if (napi_typeof(env, argv[14], &vt) != napi_ok) { napi_throw_error(env, NULL, "trieApply: order"); return NULL; }
    if (vt != napi_undefined) {
      if (!get_i32(env, argv[14], &order, &nOrder) || nOrder < nOps) { napi_throw_error(env, NULL, "trieApply: order"); return NULL; }
      for (size_t j = start; j < nOps; j++) {
        if ((uint32_t)order[j] >= nOps) { napi_throw_error(env, NULL, "trieApply: order out of range"); return NULL; }
      }
    }
  }
#define OP(j) (order != NULL ? (size_t)(uint32_t)order[j] : (j))
  // Capacities as seen by C must match the arrays.
  size_t nodeCap = (size_t)t.meta[M_NODECAP], leafCap = (size_t)t.meta[M_LEAFCAP];
  if (nCh < 4 * nodeCap || nDepth < nodeCap || nNF < nodeCap || nLK < 32 * leafCap || nLF < leafCap ||
      nNFree < (size_t)t.meta[M_NODEFREECAP] || nLFree < (size_t)t.meta[M_LEAFFREECAP] ||
      nDN < (size_t)t.meta[M_DIRTYNCAP] || nDL < (size_t)t.meta[M_DIRTYLCAP]) {
    napi_throw_error(env, NULL, "trieApply: capacities");
    return NULL;
  }
  size_t i = start;
  Path P;
  P.len = 0;
  P.kp = NULL;
  // Prefetch cursors: op j's path is walked read-only ahead of time, two levels per processed op, PF ops
  // ahead, so the cache misses of several walks overlap instead of stalling one walk at a time. They only
  // issue prefetches (bounds-checked), so a cursor made stale by an earlier op's change is harmless.
  enum { PF = 16 };
  int32_t cref[PF];
  int cdep[PF];
  size_t cop[PF];
  for (int k = 0; k < PF; k++) cref[k] = 0;
  size_t nextCursor = i;
  for (; i < nOps; i++) {
    while (nextCursor < nOps && nextCursor < i + PF) {
      int k = (int)(nextCursor % PF);
      const uint8_t* kp = kps + 32 * OP(nextCursor);
      int c = P.len > 0 && P.kp != NULL ? common_digits(kp, P.kp) : 0;
      if (c > P.len - 1) c = P.len - 1;
      cref[k] = c > 0 ? P.n[c] + 1 : t.meta[M_ROOT];
      cdep[k] = c > 0 ? c : 0;
      cop[k] = OP(nextCursor);
      nextCursor++;
    }
    for (int k = 0; k < PF; k++) {
      for (int step = 0; step < 2; step++) {
        int32_t r = cref[k];
        if (r <= 0 || (size_t)(r - 1) >= nodeCap || cdep[k] >= 128) { cref[k] = 0; break; }
        int32_t c = t.children[4 * (size_t)(r - 1) + digit_at(kps + 32 * cop[k], cdep[k])];
        cdep[k]++;
        if (c > 0 && (size_t)(c - 1) < nodeCap) {
          __builtin_prefetch(t.children + 4 * (size_t)(c - 1));
          __builtin_prefetch(t.nodeFlag + (size_t)(c - 1));
        } else if (c < 0 && (size_t)(-(int64_t)c - 1) < leafCap) {
          __builtin_prefetch(t.leafKey + 32 * (size_t)(-(int64_t)c - 1));
        }
        cref[k] = c;
      }
    }
    // Worst case of one op: 129 new nodes, 1 new leaf, 130 dirty nodes, 1 dirty leaf, 1 freed leaf, 129 freed nodes.
    if ((size_t)t.meta[M_NODETOP] + 130 > nodeCap && t.meta[M_NODEFREEN] < 130) break;
    if ((size_t)t.meta[M_LEAFTOP] + 1 > leafCap && t.meta[M_LEAFFREEN] < 1) break;
    if ((size_t)t.meta[M_DIRTYN] + 131 > (size_t)t.meta[M_DIRTYNCAP]) break;
    if ((size_t)t.meta[M_DIRTYL] + 2 > (size_t)t.meta[M_DIRTYLCAP]) break;
    if ((size_t)t.meta[M_NODEFREEN] + 130 > (size_t)t.meta[M_NODEFREECAP]) break;
    if ((size_t)t.meta[M_LEAFFREEN] + 1 > (size_t)t.meta[M_LEAFFREECAP]) break;
    size_t op = OP(i);
    if (isDel[op]) {
      trie_remove(&t, kps + 32 * op, &P);
      opLeaf[op] = -1;
    } else {
      int32_t l = trie_insert(&t, kps + 32 * op, &P);
      if (l == -2) { napi_throw_error(env, NULL, "trieApply: key path collision"); return NULL; }
      opLeaf[op] = l;
    }
  }
#undef OP
  napi_value out;
  napi_create_uint32(env, (uint32_t)i, &out);
  return out;
}

// copySlots(src, offs: Uint32Array(n+1), opLeaf: Int32Array(n), arena, leafLen: Uint16Array, slot)
// For each i with opLeaf[i] >= 0 and a leaf of at most `slot` bytes: arena[slot*l ..] = src[offs[i]..offs[i+1]],
// leafLen[l] = length. Longer leaves are left to the caller.
static napi_value CopySlots(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *src, *arena;
  int32_t *offs, *opLeaf;
  size_t ns, no, nl, na, nlen;
  uint32_t slot;
  napi_typedarray_type t;
  void* d;
  napi_value ab;
  size_t off;
  if (argc < 6 || !get_bytes(env, argv[0], &src, &ns) || !get_i32(env, argv[1], &offs, &no) || !get_i32(env, argv[2], &opLeaf, &nl) ||
      !get_bytes(env, argv[3], &arena, &na) || napi_get_typedarray_info(env, argv[4], &t, &nlen, &d, &ab, &off) != napi_ok ||
      t != napi_uint16_array || napi_get_value_uint32(env, argv[5], &slot) != napi_ok || no < 1 || nl < no - 1) {
    napi_throw_error(env, NULL, "copySlots: bad arguments");
    return NULL;
  }
  uint16_t* lens = (uint16_t*)d;
  const uint32_t* o = (const uint32_t*)offs;
  for (size_t i = 0; i + 1 < no; i++) {
    int32_t l = opLeaf[i];
    if (l < 0) continue;
    uint32_t a = o[i], b = o[i + 1];
    if (b < a || b > ns) { napi_throw_error(env, NULL, "copySlots: offsets"); return NULL; }
    uint32_t len = b - a;
    if (len > slot) continue;
    if ((size_t)l >= nlen || ((size_t)l + 1) * slot > na) { napi_throw_error(env, NULL, "copySlots: leaf out of range"); return NULL; }
    memcpy(arena + (size_t)l * slot, src + a, len);
    lens[l] = (uint16_t)len;
  }
  return NULL;
}

static napi_value Simd(napi_env env, napi_callback_info info) {
  napi_value v;
  napi_get_boolean(env, g_avx512 != 0, &v);
  return v;
}

static napi_value SetSimd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool on = false;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc > 0) napi_get_value_bool(env, argv[0], &on);
#ifdef __x86_64__
  g_avx512 = on && __builtin_cpu_supports("avx512f");
#endif
  return Simd(env, info);
}

static napi_value Init(napi_env env, napi_value exports) {
#ifdef __x86_64__
  __builtin_cpu_init();
  g_avx512 = __builtin_cpu_supports("avx512f") ? 1 : 0;
#endif
  napi_property_descriptor props[] = {
    {"keccakMany", NULL, KeccakMany, NULL, NULL, NULL, napi_default, NULL},
    {"keyPaths", NULL, KeyPaths, NULL, NULL, NULL, napi_default, NULL},
    {"hashNodes", NULL, HashNodes, NULL, NULL, NULL, napi_default, NULL},
    {"hashDirtyNodes", NULL, HashDirtyNodes, NULL, NULL, NULL, napi_default, NULL},
    {"keyPathOrder", NULL, KeyPathOrder, NULL, NULL, NULL, napi_default, NULL},
    {"hashLeaves", NULL, HashLeaves, NULL, NULL, NULL, napi_default, NULL},
    {"hashDirtyLeaves", NULL, HashDirtyLeaves, NULL, NULL, NULL, napi_default, NULL},
    {"trieApply", NULL, TrieApply, NULL, NULL, NULL, napi_default, NULL},
    {"copySlots", NULL, CopySlots, NULL, NULL, NULL, napi_default, NULL},
    {"simd", NULL, Simd, NULL, NULL, NULL, napi_default, NULL},
    {"setSimd", NULL, SetSimd, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
