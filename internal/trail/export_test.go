package trail

// SetFileSystemOf replaces how a folder's file system is judged (see
// fileSystemOf) until the returned function restores it.
func SetFileSystemOf(f func(path string) (bool, string)) (restore func()) {
	old := fileSystemOf
	fileSystemOf = f
	return func() { fileSystemOf = old }
}
