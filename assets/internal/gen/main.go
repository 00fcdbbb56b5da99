// Command gen draws caltray's icons into assets/icons (run by `go generate ./assets`).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"caltray/assets/internal/art"
)

func main() {
	if err := run("icons"); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]int{art.App: art.AppSize}
	for _, n := range art.Names {
		files[n] = art.TraySize
	}
	for name, size := range files {
		b, err := art.PNG(name, size)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
			return fmt.Errorf("writing icon: %w", err)
		}
	}
	return nil
}
