// Package iconrace holds one Linux test, alone in its binary because fyne.io/systray is a
// process-wide singleton on the process's shared session-bus connection: the tray icon changing
// while a tray host reads it (see third_party/systray/PATCHED.md). It has no code of its own.
package iconrace
