// CRC32C with the processor's CRC instructions.
//
// Why an instruction for a checksum? Storage and network protocols checksum
// every byte they move. iSCSI and SCTP chose CRC32C, the CRC with Guy
// Castagnoli's polynomial 0x1EDC6F41 (0x82F63B78 with its bits reversed, the
// form used when bytes are fed in least significant bit first), because it
// detects more errors in long messages than the older CRC-32 of Ethernet and
// zip. Intel added a `crc32` instruction for exactly that polynomial with
// SSE4.2 (Nehalem, 2008), and ARMv8 added `crc32c{b,h,w,x}` (optional in
// ARMv8.0, mandatory from ARMv8.1). The polynomial is wired into the silicon:
// these instructions compute CRC32C and nothing else, which is one reason
// ext4, Btrfs, LevelDB, RocksDB and this book all use CRC32C.
//
// What the instruction does. A CRC is the remainder of a polynomial division
// over GF(2); chapter 1's tables precompute the remainder of every byte value
// (and, slicing by 8, of every byte value followed by 1 to 7 zero bytes) and
// combine eight lookups per eight bytes. The instruction does that division
// in the processor: it takes the running remainder and 1, 2, 4 or 8 new bytes
// and returns the new remainder. On x86-64 the 8-byte form has a latency of
// about 3 cycles and can start every cycle; a loop feeding one chain of them
// moves roughly 8 bytes every 3 cycles, several times the table's speed, with
// no 8 KiB of tables evicting other data from the cache.
//
// The inversions. CRC32C as specified starts the remainder at 0xFFFFFFFF and
// inverts the result (so that leading zero bytes change the checksum). The
// instructions do only the division. Like chapter 1's `CRC32C.update`, the
// functions here take and return the finished CRC and invert at entry and
// exit, so that update(update(0, a), b) == CRC32C(a + b) and the result is
// interchangeable with the table's.
//
// Why dispatch at run time. A program compiled for "x86-64" must run on
// every x86-64 processor, including ones without SSE4.2, and the same goes
// for ARMv8.0 without the CRC extension. So the instructions may not be
// used everywhere: each function below is compiled for the one feature it
// needs (`__attribute__((target(...)))`) while the rest of the program is
// not, and `beach_crc32c_hardware_kind` asks the processor at run time which
// function is safe to call. Executing `crc32` on a processor without SSE4.2
// stops the program with an illegal-instruction signal; the REQUIRES lines
// in the header exist to prevent that.
//
// Only one architecture's function is real in any build: the x86 code is
// compiled only for x86-64 and the ARM code only for AArch64. The other is a
// stub that aborts; `beach_crc32c_hardware_kind` never names it.

#include "beach_crc32c.h"

#include <stdlib.h>
#include <string.h>

// Both instruction sets consume an 8-byte word lowest-addressed byte first,
// which is what a plain load gives on a little-endian processor. Big-endian
// AArch64 is rare enough to be left to the tables.
#if defined(__x86_64__)
#define BEACH_HAVE_SSE42 1
#include <nmmintrin.h>
#elif defined(__aarch64__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BEACH_HAVE_ARM64 1
#include <arm_acle.h>
#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)  // from the kernel's asm/hwcap.h, for older C libraries
#endif
#endif
#endif

#if defined(BEACH_HAVE_SSE42) || defined(BEACH_HAVE_ARM64)
/// The 8 bytes at `p`, in memory order, whatever `p`'s alignment: `memcpy`
/// is how C reads an unaligned word without undefined behaviour, and
/// compilers turn it into one load.
static inline uint64_t load_word(const uint8_t *p) {
  uint64_t word;
  memcpy(&word, p, sizeof word);
  return word;
}
#endif

// MARK: - x86-64, SSE4.2

#if defined(BEACH_HAVE_SSE42)

// `target("sse4.2")` lets this one function use SSE4.2 instructions; the
// compiler keeps them out of every other function.
__attribute__((target("sse4.2"))) uint32_t beach_crc32c_sse42(uint32_t crc, const uint8_t *data, size_t length) {
  uint64_t c = ~crc;  // the 64-bit instruction takes and returns the remainder in a 64-bit register

  // Single bytes up to an 8-byte boundary, so the main loop's loads never
  // straddle two cache lines.
  while (length > 0 && ((uintptr_t)data & 7) != 0) {
    c = _mm_crc32_u8((uint32_t)c, *data);
    data += 1;
    length -= 1;
  }
  // The main loop: one `crc32` instruction per 8 bytes. Each step needs the
  // previous one's result, so this is one chain at the instruction's
  // latency; see the note at the end of the file for going faster.
  while (length >= 8) {
    c = _mm_crc32_u64(c, load_word(data));
    data += 8;
    length -= 8;
  }
  // The last 0 to 7 bytes.
  while (length > 0) {
    c = _mm_crc32_u8((uint32_t)c, *data);
    data += 1;
    length -= 1;
  }
  return ~(uint32_t)c;
}

#else

uint32_t beach_crc32c_sse42(uint32_t crc, const uint8_t *data, size_t length) {
  (void)crc;
  (void)data;
  (void)length;
  abort();  // not an x86-64 build: beach_crc32c_hardware_kind never returns BEACH_CRC32C_SSE42
}

#endif

// MARK: - AArch64, the CRC extension

#if defined(BEACH_HAVE_ARM64)

// `target("crc")` enables the CRC extension for this function only, as
// `target("sse4.2")` does above. `__crc32cd` is `crc32cx` (8 bytes) and
// `__crc32cb` is `crc32cb` (1 byte); the `c` is for Castagnoli, the
// instructions without it compute the older CRC-32.
__attribute__((target("crc"))) uint32_t beach_crc32c_arm64(uint32_t crc, const uint8_t *data, size_t length) {
  uint32_t c = ~crc;
  while (length > 0 && ((uintptr_t)data & 7) != 0) {
    c = __crc32cb(c, *data);
    data += 1;
    length -= 1;
  }
  while (length >= 8) {
    c = __crc32cd(c, load_word(data));
    data += 8;
    length -= 8;
  }
  while (length > 0) {
    c = __crc32cb(c, *data);
    data += 1;
    length -= 1;
  }
  return ~c;
}

#else

uint32_t beach_crc32c_arm64(uint32_t crc, const uint8_t *data, size_t length) {
  (void)crc;
  (void)data;
  (void)length;
  abort();  // not an AArch64 build: beach_crc32c_hardware_kind never returns BEACH_CRC32C_ARM64
}

#endif

// MARK: - Which one to use

int beach_crc32c_hardware_kind(void) {
#if defined(BEACH_HAVE_SSE42)
  // CPUID, asked through the compiler: bit 20 of ECX for leaf 1 is SSE4.2.
  // `__builtin_cpu_init` fills the table `__builtin_cpu_supports` reads; it
  // runs before main anyway, but calling it again is cheap and makes this
  // safe from a static initializer too.
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") ? BEACH_CRC32C_SSE42 : BEACH_CRC32C_NONE;
#elif defined(BEACH_HAVE_ARM64) && defined(__linux__)
  // ARM's feature registers are readable only by the kernel; Linux passes
  // what it found to every process in the auxiliary vector.
  return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0 ? BEACH_CRC32C_ARM64 : BEACH_CRC32C_NONE;
#elif defined(BEACH_HAVE_ARM64) && defined(__APPLE__)
  return BEACH_CRC32C_ARM64;  // every Apple arm64 processor has the CRC extension
#elif defined(BEACH_HAVE_ARM64) && defined(__ARM_FEATURE_CRC32)
  return BEACH_CRC32C_ARM64;  // the whole program was compiled for processors with it
#else
  return BEACH_CRC32C_NONE;
#endif
}

// Going faster. The loops above wait for each instruction's result before
// starting the next, so they run at the instruction's latency, not its
// throughput. Intel's white paper "Fast CRC Computation for iSCSI Polynomial
// Using CRC32 Instruction" (2011) splits the buffer into three parts, runs
// three independent chains at once, and joins the three remainders with
// carry-less multiplication (PCLMULQDQ); Mark Adler's crc32c.c and the
// crc32c library LevelDB and RocksDB use do the same, about three times
// this loop's speed on large buffers. This loop already checksums a 4 KiB
// block in about half a microsecond (`beach crc-bench` measures it), so the
// book stops here.
