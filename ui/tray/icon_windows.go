package tray

import (
	"encoding/binary"

	"caltray/assets"
)

// iconBytes is the tray icon of a state as systray wants it on Windows: an ICO file. Since
// Windows Vista an ICO entry may hold a PNG as it is, so the PNG is wrapped, not converted
// (Fyne's driver did this conversion for us before the tray left it).
func iconBytes(s assets.State) []byte { return pngToICO(assets.Tray(s)) }

func pngToICO(png []byte) []byte {
	w, h := 0, 0
	if len(png) >= 24 {
		w, h = int(binary.BigEndian.Uint32(png[16:20])), int(binary.BigEndian.Uint32(png[20:24]))
	}
	dim := func(n int) byte {
		if n <= 0 || n >= 256 {
			return 0 // 0 means 256 (or more) in an ICO directory
		}
		return byte(n)
	}
	out := make([]byte, 0, 22+len(png))
	out = binary.LittleEndian.AppendUint16(out, 0)  // reserved
	out = binary.LittleEndian.AppendUint16(out, 1)  // type: icon
	out = binary.LittleEndian.AppendUint16(out, 1)  // one image
	out = append(out, dim(w), dim(h), 0, 0)         // width, height, palette, reserved
	out = binary.LittleEndian.AppendUint16(out, 1)  // colour planes
	out = binary.LittleEndian.AppendUint16(out, 32) // bits per pixel
	out = binary.LittleEndian.AppendUint32(out, uint32(len(png)))
	out = binary.LittleEndian.AppendUint32(out, 22) // offset of the image
	return append(out, png...)
}
