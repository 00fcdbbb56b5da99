package tray

// setActivationPolicy should make the tray process an accessory (no Dock icon) while the
// window process, from the same bundle, stays a regular app: [NSApp
// setActivationPolicy:NSApplicationActivationPolicyAccessory] through cgo. Not written: it
// cannot be compiled or tried on the project's Linux machines (docs/DESIGN.md says so).
func setActivationPolicy() {}
