package delivery

// QueueBytes sums the cost the engine's queues count as theirs
// (queue.bytes), which must come back to 0 with the engine's held bytes.
func QueueBytes(e *Engine) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	var n int64
	for _, q := range e.queues {
		q.mu.Lock()
		n += q.bytes
		q.mu.Unlock()
	}
	return n
}
