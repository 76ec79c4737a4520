// Placeholder until CohortLearn has files of its own; delete then.
