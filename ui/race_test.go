//go:build race

package ui

// raceSlowdown scales time budgets in tests: the race detector slows Fyne's layout and text
// shaping several times over, and the budgets are about the product, built without it.
const raceSlowdown = 4
