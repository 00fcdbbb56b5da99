package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"caltray/runner"
	"caltray/ui"
	"caltray/ui/ipc"
)

// windowCommand is the hidden sub-command the tray process starts as its window process (see
// package tray and docs/DESIGN.md, "Two processes"). It is not in usage: nobody types it.
const windowCommand = "__window"

// The window process's pipes: the tray's ExecWindow passes them as cmd.ExtraFiles, so they are
// fds 3 and 4 whatever the child's stdio is.
const (
	windowFDIn  = 3 // tray → window
	windowFDOut = 4 // window → tray
)

// runWindow is the window process. Its stdout and stderr are the null device: its log lines
// go to the tray, which writes them to caltray's log.
func runWindow(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("caltray "+windowCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	debug := fs.Bool("debug", false, "log debug lines too")
	attemptTimeout := fs.Duration("attempt-timeout", runner.DefaultConfig().AttemptTimeout, "the tray's runner attempt timeout, for the health texts")
	fs.Bool("no-tray", false, "the window stands in for a missing tray (the tray says so in its snapshot too)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	in, out := os.NewFile(windowFDIn, "tray-to-window"), os.NewFile(windowFDOut, "window-to-tray")
	if in == nil || out == nil {
		fmt.Fprintf(stderr, "caltray %s: started without the tray's pipes\n", windowCommand)
		return exitUsage
	}
	conn := ipc.NewConn(in, out)
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(ipc.LogWriter(conn), &slog.HandlerOptions{Level: level}))
	err := ui.RunWindow(context.Background(), conn, ui.Options{
		AttemptTimeout: *attemptTimeout, Version: version, Logger: log})
	if err != nil {
		log.Error("window process", "err", err)
		fmt.Fprintf(stderr, "caltray %s: %v\n", windowCommand, err)
		return exitUsage
	}
	return exitOK
}
