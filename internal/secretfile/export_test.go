package secretfile

// SetLink replaces os.Link for a test and returns what restores it.
func SetLink(f func(oldname, newname string) error) (restore func()) {
	old := link
	link = f
	return func() { link = old }
}
