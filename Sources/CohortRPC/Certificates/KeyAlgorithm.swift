import Crypto
import X509

/// The elliptic curve of a new private key. ECDSA keys need only `digitalSignature` in a TLS
/// certificate's key usage (no `keyEncipherment`), and every TLS 1.2/1.3 stack accepts both curves.
public enum KeyAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// NIST P-256 with ECDSA-SHA256: the default.
    case p256
    /// NIST P-384 with ECDSA-SHA384.
    case p384

    /// A new private key from swift-crypto's secure random source.
    func generate() -> Certificate.PrivateKey {
        switch self {
        case .p256: return Certificate.PrivateKey(P256.Signing.PrivateKey())
        case .p384: return Certificate.PrivateKey(P384.Signing.PrivateKey())
        }
    }
}
