package limits

// The table is generated from the project's data file; see internal/limitsgen
// for refreshing that file from upstream.
//go:generate go run ../internal/limitsgen -in data/limits.json -out zz_generated_table.go
