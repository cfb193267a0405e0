/*
 * Test harness only, never in the payload: Wine 8 has no bcryptprimitives.dll, which Windows
 * 10 and 11 have and which programs built with Rust 1.78+ (cryptography's _rust.pyd) import
 * for ProcessPrng. The Wine smoke test puts this stand-in into the prefix's system32.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!RtlGenRandom(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
