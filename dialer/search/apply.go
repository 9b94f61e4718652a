package search

// Apply brings an index and its directory up to date with the contacts
// changed since they were built: changed holds each changed contact's
// entry as it is now, removed the ids of those deleted (a contact is in
// one or the other). Many changes (another program's import) go in as one
// batch; a few are applied entry by entry. dir may be nil.
func Apply(ix *Index, dir *Directory, changed []Entry, removed []int64) {
	if len(changed) > 64 {
		ix.AddBatch(changed)
		if dir != nil {
			dir.AddBatch(changed)
		}
	} else {
		for _, e := range changed {
			ix.Update(e)
			if dir != nil {
				dir.Update(e)
			}
		}
	}
	for _, id := range removed {
		ix.Remove(id)
		if dir != nil {
			dir.Remove(id)
		}
	}
}
