package ui

import "fyne.io/fyne/v2"

// bringIntoView scrolls the agenda to the event id (a reminder's body was clicked): its row
// (the first, for an all-day event on several days) comes to the top of the list, as far as
// the list can scroll. An event no longer in the agenda leaves the list where it is.
func (w *agendaWindow) bringIntoView(id string) {
	prev := w.list.Offset
	w.focusID, w.focusRow = id, nil
	w.shown = false // rebuild the list, finding the row
	w.update(w.c.state().snap, w.c.o.Clock.Now())
	row := w.focusRow
	w.focusID, w.focusRow = "", nil
	if row == nil {
		w.list.ScrollToOffset(prev) // the rebuild may have reset it
		return
	}
	w.list.ScrollToOffset(fyne.NewPos(0, row.Position().Y))
}
