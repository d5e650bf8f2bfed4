package trail

// Exported for the sources that live in edge packages (internal/trail/source
// holds the S3 and LookupEvents sources, which need AWS SDK clients, so
// that internal/trail itself stays free of them and analyses may import it).

// IsLogFile reports whether an object name is a CloudTrail log file.
func IsLogFile(name string) bool { return logFile(name) }

// DirAllowed reports whether the filter can match anything under rel (a
// path relative to the source's root, of folders only).
func (f *Filter) DirAllowed(rel string) bool { return f.dirAllowed(rel) }

// RegionAllowed reports whether the filter admits region r.
func (f *Filter) RegionAllowed(r string) bool { return f.region(r) }
