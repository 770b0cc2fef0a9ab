/*
 * Batched SHA-2 for the measurement hot loops (issue: hot loop). One call hashes a whole
 * batch of pages, so the per-page cost is OpenSSL's SHA-2 (the same assembly, SHA-NI
 * included, that node:crypto uses) and not a JavaScript-to-native call per page. Node
 * exports OpenSSL's symbols to addons; the headers are Node's own (include/node/openssl).
 *
 * Every function takes a batch of 4 KiB page slots ("pages", slot i at i*4096) and, per step,
 * a slot index (-1 = a zero page). Bounds are checked here, before any hashing: a bad call is
 * a thrown JavaScript error, never a read outside a buffer.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 4096
static const uint8_t ZERO_PAGE[PAGE];

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "igvm_hash: N-API call failed");    \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

#define FAIL(msg)                          \
  do {                                     \
    napi_throw_range_error(env, NULL, msg); \
    return NULL;                           \
  } while (0)

/* The bytes of a typed array (any element type), with their length in bytes. */
static int typed(napi_env env, napi_value v, void **data, size_t *bytes) {
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type type;
  size_t length, offset;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, data, &ab, &offset) != napi_ok) return 0;
  size_t size = 1;
  switch (type) {
    case napi_int16_array: case napi_uint16_array: size = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: size = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: size = 8; break;
    default: size = 1;
  }
  *bytes = length * size;
  return 1;
}

/* Resolves slot i of a page batch, or NULL when it lies outside the batch. */
static const uint8_t *slot_page(const uint8_t *pages, size_t pages_len, int32_t slot) {
  if (slot < 0) return ZERO_PAGE;
  if ((size_t)slot >= pages_len / PAGE) return NULL;
  return pages + (size_t)slot * PAGE;
}

/* One-shot SHA-256, SHA-384 or SHA-512 (bits) of len bytes; the digest size, 0 for other bits. */
static size_t sha2(int bits, const uint8_t *data, size_t len, uint8_t *md) {
  switch (bits) {
    case 256: SHA256(data, len, md); return 32;
    case 384: SHA384(data, len, md); return 48;
    case 512: SHA512(data, len, md); return 64;
    default: return 0;
  }
}

/* shaNNNSlots(pages, slots: Int32Array, out: Uint8Array(size*n)): SHA-NNN of each slot's page. */
static napi_value sha_slots(napi_env env, napi_callback_info info, int bits) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *pages, *out;
  int32_t *slots;
  size_t pages_len, slots_len, out_len;
  if (argc < 3 || !typed(env, argv[0], (void **)&pages, &pages_len) || !typed(env, argv[1], (void **)&slots, &slots_len) ||
      !typed(env, argv[2], (void **)&out, &out_len))
    FAIL("shaSlots(pages, slots, out)");
  size_t n = slots_len / 4, size = (size_t)bits / 8;
  if (out_len < n * size) FAIL("shaSlots: out is too small");
  for (size_t i = 0; i < n; i++)
    if (slot_page(pages, pages_len, slots[i]) == NULL) FAIL("shaSlots: slot outside the batch");
  for (size_t i = 0; i < n; i++) sha2(bits, slot_page(pages, pages_len, slots[i]), PAGE, out + i * size);
  return NULL;
}

static napi_value sha256_slots(napi_env env, napi_callback_info info) { return sha_slots(env, info, 256); }
static napi_value sha384_slots(napi_env env, napi_callback_info info) { return sha_slots(env, info, 384); }
static napi_value sha512_slots(napi_env env, napi_callback_info info) { return sha_slots(env, info, 512); }

/*
 * ccaDataChain(rim: Uint8Array(64), bits, contents: Uint8Array(size*m), measured: Uint8Array(n), gpas: BigUint64Array(n)):
 * n Arm CCA DATA descriptors (spec/cca.md §1.4) extending rim in place: type 0, len 0x100, the
 * current RIM, the IPA, flags 1 with the next of the m content hashes where measured[i], else
 * flags 0 and a zero content; RIM = widen(RHA(descriptor)).
 */
static napi_value cca_data_chain(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *rim, *contents, *measured;
  uint64_t *gpas;
  uint32_t bits;
  size_t rim_len, contents_len, measured_len, gpas_len;
  if (argc < 5 || !typed(env, argv[0], (void **)&rim, &rim_len) || napi_get_value_uint32(env, argv[1], &bits) != napi_ok ||
      !typed(env, argv[2], (void **)&contents, &contents_len) || !typed(env, argv[3], (void **)&measured, &measured_len) ||
      !typed(env, argv[4], (void **)&gpas, &gpas_len))
    FAIL("ccaDataChain(rim, bits, contents, measured, gpas)");
  if (bits != 256 && bits != 384 && bits != 512) FAIL("ccaDataChain: bits must be 256, 384 or 512");
  size_t n = measured_len, size = bits / 8, m = 0;
  for (size_t i = 0; i < n; i++) m += measured[i] != 0;
  if (rim_len != 64 || gpas_len < n * 8 || contents_len < m * size) FAIL("ccaDataChain: array sizes do not match");
  uint8_t desc[0x100], md[64];
  memset(desc, 0, sizeof desc);
  desc[0x09] = 0x01; /* len 0x100, little-endian u64 at 0x08 */
  for (size_t i = 0, j = 0; i < n; i++) {
    memcpy(desc + 0x10, rim, 64);
    uint64_t g = gpas[i];
    for (int b = 0; b < 8; b++) desc[0x50 + b] = (uint8_t)(g >> (8 * b));
    desc[0x58] = measured[i] != 0;
    memset(desc + 0x60, 0, 64);
    if (measured[i] != 0) memcpy(desc + 0x60, contents + (j++) * size, size);
    memset(md, 0, sizeof md);
    sha2((int)bits, desc, sizeof desc, md);
    memcpy(rim, md, 64);
  }
  return NULL;
}

/*
 * snpChain(ld: Uint8Array(48), contents: Uint8Array(48*n), types: Uint8Array(n), gpas: BigUint64Array(n)):
 * n SNP_LAUNCH_UPDATE steps; ld is updated in place (spec/snp.md §1.2 PAGE_INFO).
 */
static napi_value snp_chain(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *ld, *contents, *types;
  uint64_t *gpas;
  size_t ld_len, contents_len, types_len, gpas_len;
  if (argc < 4 || !typed(env, argv[0], (void **)&ld, &ld_len) || !typed(env, argv[1], (void **)&contents, &contents_len) ||
      !typed(env, argv[2], (void **)&types, &types_len) || !typed(env, argv[3], (void **)&gpas, &gpas_len))
    FAIL("snpChain(ld, contents, types, gpas)");
  size_t n = types_len;
  if (ld_len != 48 || contents_len < n * 48 || gpas_len < n * 8) FAIL("snpChain: array sizes do not match");
  uint8_t info_rec[0x70];
  memset(info_rec, 0, sizeof info_rec);
  info_rec[0x60] = 0x70; /* LENGTH, little-endian u16 */
  memcpy(info_rec, ld, 48);
  for (size_t i = 0; i < n; i++) {
    memcpy(info_rec + 0x30, contents + i * 48, 48);
    info_rec[0x62] = types[i];
    uint64_t g = gpas[i];
    for (int b = 0; b < 8; b++) info_rec[0x68 + b] = (uint8_t)(g >> (8 * b));
    SHA384(info_rec, sizeof info_rec, info_rec);
  }
  memcpy(ld, info_rec, 48);
  return NULL;
}

/* A TDX MRTD in progress: one SHA-384 (SHA512_CTX) across calls. */
static void tdx_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static napi_value tdx_new(napi_env env, napi_callback_info info) {
  (void)info;
  SHA512_CTX *ctx = malloc(sizeof *ctx);
  if (ctx == NULL) FAIL("tdxNew: out of memory");
  SHA384_Init(ctx);
  napi_value ext;
  CHECK(napi_create_external(env, ctx, tdx_free, NULL, &ext));
  return ext;
}

static SHA512_CTX *tdx_ctx(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

/*
 * tdxPages(ctx, pages, slots: Int32Array, gpas: BigUint64Array, measured: Uint8Array): for each
 * page a 128-byte MEM.PAGE.ADD and, when measured, 16 × (128-byte MR.EXTEND header + 256 data
 * bytes) (spec/tdx.md §1.1–1.2). Records are assembled in a local buffer so that OpenSSL sees
 * large updates.
 */
static napi_value tdx_pages(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  SHA512_CTX *ctx = argc >= 1 ? tdx_ctx(env, argv[0]) : NULL;
  uint8_t *pages, *measured;
  int32_t *slots;
  uint64_t *gpas;
  size_t pages_len, slots_len, gpas_len, measured_len;
  if (ctx == NULL || argc < 5 || !typed(env, argv[1], (void **)&pages, &pages_len) || !typed(env, argv[2], (void **)&slots, &slots_len) ||
      !typed(env, argv[3], (void **)&gpas, &gpas_len) || !typed(env, argv[4], (void **)&measured, &measured_len))
    FAIL("tdxPages(ctx, pages, slots, gpas, measured)");
  size_t n = slots_len / 4;
  if (gpas_len < n * 8 || measured_len < n) FAIL("tdxPages: array sizes do not match");
  for (size_t i = 0; i < n; i++)
    if (slot_page(pages, pages_len, slots[i]) == NULL) FAIL("tdxPages: slot outside the batch");
  static const char ADD[16] = "MEM.PAGE.ADD";
  static const char EXT[16] = "MR.EXTEND";
  uint8_t rec[128 + 16 * 384];
  for (size_t i = 0; i < n; i++) {
    const uint8_t *page = slot_page(pages, pages_len, slots[i]);
    uint64_t gpa = gpas[i];
    memset(rec, 0, 128);
    memcpy(rec, ADD, 16);
    for (int b = 0; b < 8; b++) rec[16 + b] = (uint8_t)(gpa >> (8 * b));
    size_t len = 128;
    if (measured[i]) {
      for (int k = 0; k < 16; k++) {
        uint8_t *r = rec + 128 + k * 384;
        uint64_t g = gpa + (uint64_t)k * 256;
        memset(r, 0, 128);
        memcpy(r, EXT, 16);
        for (int b = 0; b < 8; b++) r[16 + b] = (uint8_t)(g >> (8 * b));
        memcpy(r + 128, page + k * 256, 256);
      }
      len += 16 * 384;
    }
    SHA384_Update(ctx, rec, len);
  }
  return NULL;
}

/* tdxDigest(ctx): the MRTD of what was hashed so far (the context itself goes on). */
static napi_value tdx_digest(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  SHA512_CTX *ctx = argc >= 1 ? tdx_ctx(env, argv[0]) : NULL;
  if (ctx == NULL) FAIL("tdxDigest(ctx)");
  SHA512_CTX copy = *ctx;
  void *data;
  napi_value ab, out;
  CHECK(napi_create_arraybuffer(env, 48, &data, &ab));
  SHA384_Final(data, &copy);
  CHECK(napi_create_typedarray(env, napi_uint8_array, 48, ab, 0, &out));
  return out;
}

/*
 * vbsPages(digest: Uint8Array(32), pages, slots: Int32Array, gpas: BigUint64Array,
 * metadata: Uint8Array): for each page D = SHA-256(D ‖ 32-byte chunk header ‖ 4096-byte page),
 * page number gpa / 4096, the page zero when metadata bit 2 (data unmeasured) is set
 * (spec/vbs-cca-corim.md §1.2).
 */
static napi_value vbs_pages(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *digest, *pages, *metadata;
  int32_t *slots;
  uint64_t *numbers;
  size_t digest_len, pages_len, slots_len, numbers_len, metadata_len;
  if (argc < 5 || !typed(env, argv[0], (void **)&digest, &digest_len) || !typed(env, argv[1], (void **)&pages, &pages_len) ||
      !typed(env, argv[2], (void **)&slots, &slots_len) || !typed(env, argv[3], (void **)&numbers, &numbers_len) ||
      !typed(env, argv[4], (void **)&metadata, &metadata_len))
    FAIL("vbsPages(digest, pages, slots, gpas, metadata)");
  size_t n = slots_len / 4;
  if (digest_len != 32 || numbers_len < n * 8 || metadata_len < n) FAIL("vbsPages: array sizes do not match");
  for (size_t i = 0; i < n; i++)
    if (slot_page(pages, pages_len, slots[i]) == NULL) FAIL("vbsPages: slot outside the batch");
  uint8_t head[32 + 32];
  memcpy(head, digest, 32);
  for (size_t i = 0; i < n; i++) {
    uint8_t *h = head + 32;
    memset(h, 0, 32);
    h[0] = 0x20; h[1] = 0x10; /* byte_count 4128 */
    h[4] = 2;                 /* VP_GPA_PAGE */
    h[16] = metadata[i];
    uint64_t pn = numbers[i] >> 12;
    for (int b = 0; b < 8; b++) h[24 + b] = (uint8_t)(pn >> (8 * b));
    const uint8_t *page = (metadata[i] & 4) ? ZERO_PAGE : slot_page(pages, pages_len, slots[i]);
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, head, sizeof head);
    SHA256_Update(&c, page, PAGE);
    SHA256_Final(head, &c);
  }
  memcpy(digest, head, 32);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"sha256Slots", NULL, sha256_slots, NULL, NULL, NULL, napi_default, NULL},
      {"sha384Slots", NULL, sha384_slots, NULL, NULL, NULL, napi_default, NULL},
      {"sha512Slots", NULL, sha512_slots, NULL, NULL, NULL, napi_default, NULL},
      {"ccaDataChain", NULL, cca_data_chain, NULL, NULL, NULL, napi_default, NULL},
      {"snpChain", NULL, snp_chain, NULL, NULL, NULL, napi_default, NULL},
      {"tdxNew", NULL, tdx_new, NULL, NULL, NULL, napi_default, NULL},
      {"tdxPages", NULL, tdx_pages, NULL, NULL, NULL, napi_default, NULL},
      {"tdxDigest", NULL, tdx_digest, NULL, NULL, NULL, napi_default, NULL},
      {"vbsPages", NULL, vbs_pages, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
