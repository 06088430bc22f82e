package database

// MaxPreparedStatements is the bound of the prepared statements kept.
const MaxPreparedStatements = maxStatements

// PreparedStatements reports how many statements db keeps prepared.
func PreparedStatements(db *DB) int {
	db.stmts.mu.RLock()
	defer db.stmts.mu.RUnlock()
	return len(db.stmts.m)
}
