//go:build windows

// Command trustcert adds the certificates of a PEM file to the local machine's trusted root
// store. scripts/wine-test.sh's sign-in test runs it inside its throwaway Wine prefix so that
// caltray.exe, which verifies TLS through the Windows certificate store (where Go ignores
// SSL_CERT_FILE), trusts the simulated identity platform's self-signed certificate. A test
// tool only: never run it on a real Windows machine.
//
//	trustcert FILE.pem
package main

import (
	"encoding/pem"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: trustcert FILE.pem")
		os.Exit(2)
	}
	if err := trust(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "trustcert:", err)
		os.Exit(1)
	}
}

func trust(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	name, err := windows.UTF16PtrFromString("ROOT")
	if err != nil {
		return err
	}
	store, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0,
		windows.CERT_SYSTEM_STORE_LOCAL_MACHINE, uintptr(unsafe.Pointer(name)))
	if err != nil {
		return fmt.Errorf("open the local machine's ROOT store: %w", err)
	}
	defer windows.CertCloseStore(store, 0)
	added := 0
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		ctx, err := windows.CertCreateCertificateContext(windows.X509_ASN_ENCODING|windows.PKCS_7_ASN_ENCODING,
			&block.Bytes[0], uint32(len(block.Bytes)))
		if err != nil {
			return fmt.Errorf("parse a certificate: %w", err)
		}
		err = windows.CertAddCertificateContextToStore(store, ctx, windows.CERT_STORE_ADD_REPLACE_EXISTING, nil)
		windows.CertFreeCertificateContext(ctx)
		if err != nil {
			return fmt.Errorf("add a certificate to the ROOT store: %w", err)
		}
		added++
	}
	if added == 0 {
		return fmt.Errorf("%s holds no certificate", path)
	}
	return nil
}
