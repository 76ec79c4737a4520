internal import CCohortSupport

/// How the process's C allocator keeps memory, set once at start-up by an executable.
public enum ProcessMemory {
    /// Makes glibc's malloc use one arena for all threads (`mallopt(M_ARENA_MAX, 1)`); call
    /// before any thread starts. Returns false where it could not (no glibc).
    ///
    /// glibc gives each thread that contends for the heap an arena of its own, and a block
    /// freed in one arena is reused only by allocations in that arena. A federation party
    /// allocates model-sized buffers (4 MB per million parameters) on whichever thread runs
    /// the task, so with several arenas each kept its own freed generations of the model
    /// resident. Measured on W7 (BENCHMARKS.md), cohort's `main` comment has the figures.
    @discardableResult
    public static func useOneMallocArena() -> Bool {
        cohort_malloc_use_one_arena() == 1
    }
}
