// Package model turns a sync snapshot and the time into what the tray app shows: the tray
// menu's items, the icon state, the health texts, the agenda's days and rows, the reminders
// that are due, and the preferences form's parsing. Everything here is a pure function (or,
// for reminders, a small state machine driven by the caller's clock), free of Fyne, so it is
// tested quickly and exhaustively without a display.
package model
