internal import CCohortSupport
import Dispatch
import Foundation
import Synchronization

/// DP-SGD's noise drawn ahead, on a thread of its own, while the current step's forward
/// and backward passes run: with BLAS on fewer threads than there are cores, a core is
/// otherwise idle, and the noise (one normal per parameter per step) then costs the step
/// only the pass that adds it.
///
/// Buffers of standard normals, one a step, go round between the drawing thread and the
/// training loop: a bounded buffer (Dijkstra, "Cooperating Sequential Processes", 1965,
/// §4.3) of `slots` steps, with two counters in place of semaphores. The training loop
/// never wakes the drawing thread (waking a sleeping thread costs the waker about 10 µs on
/// a virtual machine, a quarter of a small model's step); the drawing thread naps
/// (`napSeconds`) and fills every free slot after each nap, so with several slots it
/// stays ahead though it notices a free slot a nap late. If it is behind all the same (a
/// busy machine), the training loop draws the step itself, straight into the gradient
/// (no slot to fill and read back): steps are drawn one at a time, in order, under one
/// lock, by whichever thread gets there first.
///
/// Each step's normals come from exactly the calls `ParallelGaussianNoise.addNoise` would
/// make for tensors of `sizes`, in order, on the same streams, and exactly `steps` steps
/// are drawn; adding σ·z in the same fused operation then gives bit for bit the noise of
/// drawing directly, and leaves the streams where drawing directly would have left them,
/// so a seeded run is the same with or without prefetching.
///
/// One training loop consumes the steps. Call `stop()` when done (the thread holds a
/// reference to this object until then).
public final class PrefetchedGaussianNoise: Sendable {
    /// The drawing thread's nap while all slots are full; after `idleSeconds` without a
    /// free slot (between epochs, say) it naps `idleNapSeconds`.
    static let napSeconds = 100e-6, idleSeconds = 10e-3, idleNapSeconds = 1e-3
    /// Memory for the slots: as many steps as fit in 4 MiB, at least 2 and at most 8.
    static let slotBytes = 4 << 20

    /// Slot memory, written only by the thread drawing a step into a slot no one reads
    /// and read only by the training loop from a slot whose step is drawn and not yet
    /// used; the counters' release and acquire order those accesses.
    private final class Slots: @unchecked Sendable {
        let values: UnsafeMutableBufferPointer<Float>
        let stride: Int
        let count: Int
        init(count: Int, stride: Int) {
            values = .allocate(capacity: Swift.max(count * stride, 1))
            values.initialize(repeating: 0)
            self.stride = stride
            self.count = count
        }
        func slot(_ step: Int) -> UnsafeMutableBufferPointer<Float> {
            UnsafeMutableBufferPointer(rebasing: values[(step % count) * stride..<(step % count + 1) * stride])
        }
        deinit { values.deallocate() }
    }

    private let noise: ParallelGaussianNoise
    private let sizes: [Int]
    private let offsets: [Int]
    private let steps: Int
    private let slots: Slots
    /// The next step to draw; held while drawing it.
    private let nextToDraw = Mutex(0)
    /// Steps drawn and steps used (by the training loop).
    private let drawn = Atomic<Int>(0)
    private let used = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts drawing noise for `steps` steps, each covering tensors of `sizes` elements.
    public convenience init(_ noise: ParallelGaussianNoise, sizes: [Int], steps: Int) {
        self.init(noise, sizes: sizes, steps: steps, drawsAhead: true)
    }

    /// `drawsAhead` false starts no thread, so that the training loop draws every step
    /// itself (for the test of that path).
    init(_ noise: ParallelGaussianNoise, sizes: [Int], steps: Int, drawsAhead: Bool) {
        precondition(steps >= 0 && sizes.allSatisfy { $0 >= 0 }, "bad noise prefetch layout: \(steps) steps of \(sizes)")
        self.noise = noise
        self.sizes = sizes
        var offsets = [Int]()
        var total = 0
        for size in sizes {
            offsets.append(total)
            total += size
        }
        self.offsets = offsets
        self.steps = steps
        let count = Swift.min(8, Swift.max(2, Self.slotBytes / Swift.max(total * MemoryLayout<Float>.size, 1)))
        slots = Slots(count: count, stride: total)
        guard drawsAhead else {
            stopped.store(true, ordering: .releasing)  // nothing for stop() to wait for
            return
        }
        let thread = Thread { [self] in self.drawAhead() }
        thread.name = "cohort-noise"
        thread.start()
    }

    /// The drawing thread: fills free slots, naps, until every step is drawn or `stop()`.
    ///
    /// It waits and naps under SCHED_IDLE, so that it takes a core only when the core has
    /// nothing else to do and never delays the training loop's thread; a busy machine
    /// leaves it behind, and the training loop then draws its steps itself. It draws
    /// under the normal policy, because the training loop may be waiting for the step it
    /// draws. Where the thread could not return to the normal policy (unprivileged, with
    /// a low RLIMIT_NICE), it stays under the normal policy throughout.
    private func drawAhead() {
        // Naps of 100 µs want the kernel's timer slack (50 µs by default) below them.
        _ = cohort_set_timer_slack(10_000)
        let switchesPolicy = cohort_can_leave_idle_scheduling() == 1 && cohort_set_idle_scheduling(1) == 0
        var idleSince = BLASDiagnostics.now()
        while !stopped.load(ordering: .acquiring) && drawn.load(ordering: .acquiring) < steps {
            if drawn.load(ordering: .acquiring) < Swift.min(used.load(ordering: .acquiring) + slots.count, steps) {
                if switchesPolicy { _ = cohort_set_idle_scheduling(0) }
                while !stopped.load(ordering: .acquiring) && drawNext(limit: used.load(ordering: .acquiring) + slots.count) {}
                if switchesPolicy { _ = cohort_set_idle_scheduling(1) }
                idleSince = BLASDiagnostics.now()
                continue
            }
            let nap = BLASDiagnostics.now() - idleSince < Self.idleSeconds ? Self.napSeconds : Self.idleNapSeconds
            var request = timespec(tv_sec: 0, tv_nsec: Int(nap * 1e9))
            _ = nanosleep(&request, nil)
        }
        finished.signal()
    }

    /// Draws the next step if it is below `limit` (its slot is free); false if not.
    @discardableResult
    private func drawNext(limit: Int) -> Bool {
        nextToDraw.withLock { step in
            guard step < Swift.min(limit, steps) else { return false }
            let values = slots.slot(step)
            guard let base = values.baseAddress else { return false }
            values.update(repeating: 0)
            for (size, offset) in zip(sizes, offsets) {
                for (part, range) in noise.parts(ofCount: size).enumerated() {
                    noise.streams[part].addNoise(
                        toRawElements: base + offset + range.lowerBound, count: range.count, standardDeviation: 1)
                }
            }
            step += 1
            drawn.store(step, ordering: .releasing)
            return true
        }
    }

    /// The next step's noise, passed to `body` (the `Step` is valid only inside it).
    ///
    /// If the drawing thread has not drawn the step yet (a busy machine), the step is drawn
    /// here, while `body` runs, straight into the tensors it passes: the same calls on the
    /// same streams as the drawing thread would make, without filling a slot and reading
    /// it back. `body` must then add every part once, in order (as it must anyway).
    public func withNextStep<R>(_ body: (Step) -> R) -> R {
        let step = used.load(ordering: .relaxed)
        precondition(step < steps, "no prefetched noise left: \(steps) steps were drawn")
        defer { used.store(step + 1, ordering: .releasing) }
        if drawn.load(ordering: .acquiring) <= step {
            var result: R?
            // Waits only while the drawing thread draws this very step; then it is drawn.
            nextToDraw.withLock { next in
                guard next == step else { return }
                let direct = Step.Direct(noise: noise)
                result = body(Step(direct: direct, offsets: offsets, sizes: sizes))
                precondition(direct.nextPart == sizes.count, "a step's noise was not added to every part")
                next = step + 1
                drawn.store(step + 1, ordering: .releasing)
            }
            if let result { return result }
        }
        return body(Step(normals: UnsafeBufferPointer(slots.slot(step)), offsets: offsets, sizes: sizes))
    }

    /// Stops the drawing thread and waits for it to end. Idempotent.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }

    /// One step's standard normals, one part per tensor: drawn ahead into a slot, or drawn
    /// as they are added (`Direct`).
    public struct Step {
        private let normals: UnsafeBufferPointer<Float>?
        private let direct: Direct?
        private let offsets: [Int]
        private let sizes: [Int]

        /// The streams a step drawn in the training loop comes from, and the next part to
        /// draw (parts must come in order, so that the streams are used as in `drawNext`).
        fileprivate final class Direct {
            let noise: ParallelGaussianNoise
            var nextPart = 0
            init(noise: ParallelGaussianNoise) { self.noise = noise }
        }

        fileprivate init(normals: UnsafeBufferPointer<Float>, offsets: [Int], sizes: [Int]) {
            self.normals = normals
            self.direct = nil
            self.offsets = offsets
            self.sizes = sizes
        }

        fileprivate init(direct: Direct, offsets: [Int], sizes: [Int]) {
            self.normals = nil
            self.direct = direct
            self.offsets = offsets
            self.sizes = sizes
        }

        /// tensor ← (tensor + σ·z)·scale, with z part `index` of the step's normals and
        /// tensor + σ·z fused (one rounding), as `ParallelGaussianNoise.addNoise` followed by
        /// `Tensor.scale(by:)` computes it.
        public func addNoise(toPart index: Int, of tensor: inout Tensor<Float>, standardDeviation sigma: Double,
                             thenScaleBy scale: Float) {
            precondition(tensor.count == sizes[index], "noise part \(index) has \(sizes[index]) values, the tensor \(tensor.count)")
            if let direct {
                precondition(index == direct.nextPart, "noise part \(index) drawn out of order (next is \(direct.nextPart))")
                direct.nextPart += 1
                let noise = direct.noise
                tensor.withUnsafeMutableBufferPointer { buffer in
                    guard let base = buffer.baseAddress else { return }
                    for (part, range) in noise.parts(ofCount: buffer.count).enumerated() {
                        noise.streams[part].addNoise(
                            toRawElements: base + range.lowerBound, count: range.count, standardDeviation: sigma)
                    }
                }
                tensor.scale(by: scale)
                return
            }
            let sigma = Float(sigma)
            guard let z = normals?.baseAddress.map({ $0 + offsets[index] }) else { return }
            tensor.withUnsafeMutableBufferPointer { buffer in
                guard let x = buffer.baseAddress else { return }
                cohort_noise_add_scaled(x, z, buffer.count, sigma, scale)
            }
        }
    }
}
