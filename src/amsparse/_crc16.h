/* CRC-16/X.25, the HDLC FCS/HCS: reflected polynomial 0x1021 (0x8408 bit-
 * reversed), init 0xFFFF, xorout 0xFFFF.  Shared by the compiled core
 * (_decode_c) and the stream scanner (_scan_c).
 *
 * Slicing-by-8: eight 256-entry tables let one step consume eight bytes with
 * eight independent table loads instead of a chain of eight dependent ones.
 * Byte-at-a-time table CRC is latency bound at roughly 2 ns/byte here; this
 * runs at about 0.3 ns/byte.  Bytes are indexed one by one (no word loads), so
 * the code is endian-neutral and needs no alignment.  ams_crc16_init() must
 * run once before use (each module calls it at import).
 */
#ifndef AMSPARSE_CRC16_H
#define AMSPARSE_CRC16_H

#include <stddef.h>
#include <stdint.h>

static uint16_t ams_crc16_t[8][256];

static void ams_crc16_init(void)
{
    unsigned int i, k;
    for (i = 0; i < 256; i++) {
        unsigned int crc = i;
        for (k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0x8408u : crc >> 1;
        ams_crc16_t[0][i] = (uint16_t)crc;
    }
    /* t[k][b]: the CRC register after byte b followed by k zero bytes */
    for (k = 1; k < 8; k++)
        for (i = 0; i < 256; i++) {
            unsigned int prev = ams_crc16_t[k - 1][i];
            ams_crc16_t[k][i] = (uint16_t)((prev >> 8) ^ ams_crc16_t[0][prev & 0xFF]);
        }
}

/* the raw register after p[0:n], starting from crc (no init, no xorout) */
static inline unsigned int ams_crc16_update(unsigned int crc, const unsigned char *p, size_t n)
{
    while (n >= 8) {
        crc = ams_crc16_t[7][(p[0] ^ crc) & 0xFF] ^ ams_crc16_t[6][(p[1] ^ (crc >> 8)) & 0xFF]
            ^ ams_crc16_t[5][p[2]] ^ ams_crc16_t[4][p[3]]
            ^ ams_crc16_t[3][p[4]] ^ ams_crc16_t[2][p[5]]
            ^ ams_crc16_t[1][p[6]] ^ ams_crc16_t[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ ams_crc16_t[0][(crc ^ *p++) & 0xFF];
    return crc & 0xFFFF;
}

static inline unsigned int ams_crc16(const unsigned char *p, size_t n)
{
    return ams_crc16_update(0xFFFF, p, n) ^ 0xFFFF;
}

#endif
