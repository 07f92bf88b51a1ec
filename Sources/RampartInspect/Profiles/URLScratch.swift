/// The URL filtering stage's normalisation memory, allocated once per engine (a class: the
/// buffer cannot be copied, the engine can).
@usableFromInline
final class URLScratch {
    var buffer: URLPathBuffer

    init(capacity: Int) { buffer = URLPathBuffer(capacity: capacity) }
}
