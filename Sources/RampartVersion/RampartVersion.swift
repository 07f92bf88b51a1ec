/// The release every Rampart executable and image reports (`--version`, the images'
/// `org.opencontainers.image.version` label, the Helm chart's appVersion). One place, so
/// they can never disagree.
public enum RampartVersion {
    public static let current = "0.1.0"
}
