package postgres

// OpenTraced opens a store as Open does, with a pgx tracer on its sessions:
// a test sees the statements the store runs and their arguments.
var OpenTraced = openTraced
