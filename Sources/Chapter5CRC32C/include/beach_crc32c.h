// CRC32C computed by the processor's own instructions.
//
// Chapter 1 computes CRC32C in Swift with lookup tables (slicing by 8). Most
// processors made since 2008 can do it themselves: x86-64 with SSE4.2 has a
// `crc32` instruction and ARMv8 has `crc32cx`/`crc32cb`. This C target wraps
// them, because Swift has no portable way to name a CPU instruction or to
// compile one function for a CPU feature the rest of the program may not
// assume.
//
// Every function takes and returns the plain CRC, as chapter 1's
// `CRC32C.update` does: `crc` is the CRC32C of the bytes before `data` (0 for
// none), and the result is the CRC32C of those bytes followed by the `length`
// bytes at `data`. So `beach_crc32c_sse42(0, "123456789", 9) == 0xE3069283`.
//
// REQUIRES: call an implementation only after `beach_crc32c_hardware_kind()`
// has said this processor has it. The one this processor cannot have (ARM on
// an x86 machine, and the reverse) is a stub that stops the program.

#ifndef BEACH_CRC32C_H
#define BEACH_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// No CRC32C instruction: use chapter 1's tables.
#define BEACH_CRC32C_NONE 0
/// x86-64 with SSE4.2: `beach_crc32c_sse42` may be called.
#define BEACH_CRC32C_SSE42 1
/// AArch64 with the CRC extension: `beach_crc32c_arm64` may be called.
#define BEACH_CRC32C_ARM64 2

/// Which CRC32C instructions this processor has, asked at run time: one of
/// the `BEACH_CRC32C_` constants above.
int beach_crc32c_hardware_kind(void);

/// Extends `crc` over `length` bytes at `data` with SSE4.2's `crc32`.
///
/// REQUIRES: `beach_crc32c_hardware_kind() == BEACH_CRC32C_SSE42`.
uint32_t beach_crc32c_sse42(uint32_t crc, const uint8_t *data, size_t length);

/// Extends `crc` over `length` bytes at `data` with ARMv8's `crc32c*`.
///
/// REQUIRES: `beach_crc32c_hardware_kind() == BEACH_CRC32C_ARM64`.
uint32_t beach_crc32c_arm64(uint32_t crc, const uint8_t *data, size_t length);

#ifdef __cplusplus
}
#endif

#endif
