package sync

import (
	"os"
	"time"
)

// Windows does not let a file be replaced while another process has it open, nor opened while
// a rename is replacing it: both fail at once with a sharing violation or "access denied"
// (ERROR_SHARING_VIOLATION, ERROR_ACCESS_DENIED, ERROR_LOCK_VIOLATION), where Unix lets the
// reader keep the old file. The tray and `caltray agenda` share the cache, so readFile and
// rename retry such a failure, every few milliseconds for up to 10 s: each holder keeps the file
// open only for a read, but a busy reader can keep a writer's rename failing for a while (under
// Wine, 8 writers against a reader in a tight loop needed more than 2 s). isShareError is false
// for every error on other systems.
const shareRetryFor = 10 * time.Second

// readFile is os.ReadFile, retried while another process holds the file (Windows).
func readFile(path string) ([]byte, error) {
	var data []byte
	err := retryShared(func() (err error) {
		data, err = os.ReadFile(path)
		return err
	})
	return data, err
}

// rename is os.Rename, retried while another process holds the target (Windows).
func rename(from, to string) error {
	return retryShared(func() error { return os.Rename(from, to) })
}

func retryShared(op func() error) error {
	deadline := time.Now().Add(shareRetryFor)
	wait := time.Millisecond
	for {
		err := op()
		if err == nil || !isShareError(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
		wait = min(2*wait, 10*time.Millisecond)
	}
}
