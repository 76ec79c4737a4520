/// SHA-256 (NIST FIPS 180-4, "Secure Hash Standard", 2015, §6.2), for plan hashes that a
/// site's policy can list, the hash chains of the audit and run logs, and the orchestrator's
/// checkpoints. Written out because the federation engine takes no cryptography dependency
/// (only `CohortRPC` links swift-crypto).
///
/// Streaming: a `SHA256` value takes the message in pieces (`update(_:)`) and keeps only
/// one partial 64-byte block, so a checkpoint of millions of parameters is hashed as it is
/// written, from the model's own buffer, without a copy.
///
/// ```swift
/// var hasher = SHA256()
/// header.withUnsafeBytes { hasher.update($0) }
/// weights.withUnsafeBytes { hasher.update($0) }
/// let digest = hasher.finalize()          // 32 bytes
/// ```
public struct SHA256: Sendable {
    /// H (§6.2.2 step 4), after every whole block taken so far.
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
    )
    /// Bytes of the message not yet compressed (fewer than 64).
    private var pending: [UInt8] = []
    /// Message bytes taken so far.
    private var length: UInt64 = 0

    /// A hasher that has taken nothing yet (H⁽⁰⁾ of §5.3.3).
    public init() {
        pending.reserveCapacity(64)
    }

    /// Takes the next `bytes` of the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress, bytes.count > 0 else { return }
        var count = bytes.count
        length &+= UInt64(count)
        if !pending.isEmpty {
            let taken = min(64 - pending.count, count)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: taken))
            base += taken
            count -= taken
            guard pending.count == 64 else { return }
            pending.withUnsafeBytes { compress(blocksAt: $0.baseAddress!, count: 1) }
            pending.removeAll(keepingCapacity: true)
        }
        let whole = count / 64
        if whole > 0 { compress(blocksAt: base, count: whole) }
        let rest = count - 64 * whole
        if rest > 0 { pending.append(contentsOf: UnsafeRawBufferPointer(start: base + 64 * whole, count: rest)) }
    }

    /// Takes the next `bytes` of the message.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        let taken: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if taken == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    /// The 32-byte digest of everything taken so far (the hasher can take more after).
    public func finalize() -> [UInt8] {
        // Padding (§5.1.1): a 1 bit, zeros to 56 mod 64 bytes, then the bit length, big-endian.
        let bitLength = length &* 8
        var tail = pending
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        var last = self
        tail.withUnsafeBytes { last.compress(blocksAt: $0.baseAddress!, count: tail.count / 64) }
        let state = last.state
        let words = [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
        return words.flatMap { word in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> UInt32($0)) } }
    }

    /// The 32-byte digest of `bytes`.
    public static func digest(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of `bytes` as 64 lowercase hexadecimal digits.
    public static func hexDigest(_ bytes: some Collection<UInt8>) -> String {
        hex(digest(bytes))
    }

    /// The digest of the UTF-8 bytes of `text` as 64 lowercase hexadecimal digits.
    public static func hexDigest(of text: String) -> String { hexDigest(Array(text.utf8)) }

    /// `digest` as lowercase hexadecimal digits.
    public static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        return String(digest.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }

    /// Compresses `count` whole 64-byte blocks starting at `base` into the state (§6.2.2).
    private mutating func compress(blocksAt base: UnsafeRawPointer, count: Int) {
        var (h0, h1, h2, h3, h4, h5, h6, h7) = state
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
            Self.roundConstants.withUnsafeBufferPointer { constants in
                for block in 0..<count {
                    let start = base + 64 * block
                    // The message schedule W₀…W₆₃ (§6.2.2 step 1), big-endian words.
                    for t in 0..<16 {
                        schedule[t] = UInt32(bigEndian: start.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
                    }
                    for t in 16..<64 {
                        schedule[t] = Self.smallSigma1(schedule[t - 2]) &+ schedule[t - 7]
                            &+ Self.smallSigma0(schedule[t - 15]) &+ schedule[t - 16]
                    }
                    // Steps 2–4: 64 rounds of compression over the working variables a…h.
                    var (a, b, c, d, e, f, g, h) = (h0, h1, h2, h3, h4, h5, h6, h7)
                    for t in 0..<64 {
                        let choose = (e & f) ^ (~e & g)
                        let majority = (a & b) ^ (a & c) ^ (b & c)
                        let t1 = h &+ Self.bigSigma1(e) &+ choose &+ constants[t] &+ schedule[t]
                        let t2 = Self.bigSigma0(a) &+ majority
                        (h, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                    h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                }
            }
        }
        state = (h0, h1, h2, h3, h4, h5, h6, h7)
    }

    private static func rotateRight(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    // The four functions of §4.1.2 (equations 4.4–4.7).
    private static func bigSigma0(_ x: UInt32) -> UInt32 { rotateRight(x, 2) ^ rotateRight(x, 13) ^ rotateRight(x, 22) }
    private static func bigSigma1(_ x: UInt32) -> UInt32 { rotateRight(x, 6) ^ rotateRight(x, 11) ^ rotateRight(x, 25) }
    private static func smallSigma0(_ x: UInt32) -> UInt32 { rotateRight(x, 7) ^ rotateRight(x, 18) ^ (x >> 3) }
    private static func smallSigma1(_ x: UInt32) -> UInt32 { rotateRight(x, 17) ^ rotateRight(x, 19) ^ (x >> 10) }

    /// K (§4.2.2): the first 32 bits of the fractional parts of the cube roots of the first
    /// 64 primes.
    private static let roundConstants: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
}
