import Foundation

extension ImageSource {
    /// The image's width and height, read from the file's header without decoding its pixels (errors are those of
    /// ``load(limits:)``, naming the file).
    public func size() throws -> (width: Int, height: Int) {
        switch self {
        case .pixels(let image):
            return (image.width, image.height)
        case .data(let data):
            let header = try ImageDecoder.header(data: data)
            return (header.width, header.height)
        case .file(let url):
            let data: Data
            do {
                data = try Data(contentsOf: url)
            } catch {
                throw MediaError(.unreadable, source: url.path, detail: error.localizedDescription)
            }
            let header = try ImageDecoder.header(data: data, source: url.path)
            return (header.width, header.height)
        }
    }
}
