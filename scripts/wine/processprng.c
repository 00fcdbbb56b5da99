/* Test-environment shim, never shipped: Go >= 1.22 on Windows takes its random bytes from
 * ProcessPrng in bcryptprimitives.dll, which Wine 8 lacks ("bcryptprimitives.dll not found").
 * scripts/wine-test.sh builds this into the Wine prefix's system32 as bcryptprimitives.dll:
 * ProcessPrng on top of RtlGenRandom (advapi32's SystemFunction036), which Wine has. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
