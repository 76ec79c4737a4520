import CohortLearn

extension RoundEngine.Result {
    /// A run's outcome put back together from its parts, e.g. by `cohort run` from the
    /// orchestrator's events and model file, so it writes the run folder `cohort simulate` writes.
    public init(finalModel model: TrainedModel, history: [RoundRecord], stoppedEarly: String?) {
        self.model = model
        self.history = history
        self.stoppedEarly = stoppedEarly
    }
}
