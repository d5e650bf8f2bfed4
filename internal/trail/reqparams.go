package trail

// ReadRequestParameters fills r.Req from the JSON text of a record's
// requestParameters, as the local scanner reads it from a log file. The
// Athena engine gets requestParameters as text (the CloudTrail table's
// JsonSerDe gives a string) and uses this for the multi-item requests, so
// both engines read items, secret lists and key ids with one parser.
func ReadRequestParameters(r *Record, js []byte) error {
	p := parser{d: js, rec: r, record: -1}
	p.ws()
	if p.i >= len(p.d) {
		return nil
	}
	return p.requestParameters()
}
