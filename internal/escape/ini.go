package escape

// iniValueBudget bounds an escaped my.cnf value. MariaDB reads option files
// with fgets into a 4096-byte buffer (mysys/my_default.c), so a longer line
// is silently cut in two; the budget leaves room for the key and '='.
const iniValueBudget = 3840

// INI returns a MariaDB option-file (my.cnf) value, for `key=<value>`.
//
// The value is double-quoted with \\ and \" as its only escapes. MariaDB's
// reader (search_default_file_with_ext in mysys/my_default.c) skips '#'
// inside quotes when it cuts end-of-line comments, trims spaces outside the
// quotes only, strips one pair of matching quotes, then turns \\ into \ and
// \" into " and keeps every other byte. The documented \b \t \n \r \s
// escapes are not needed: a space is safe inside the quotes and control
// characters are rejected (see rejectControl), as is a value whose line
// would outgrow MariaDB's line buffer.
func INI(s string) (string, error) {
	return quoteLine("my.cnf", s, iniValueBudget, "MariaDB cuts option-file lines at 4094 bytes")
}
