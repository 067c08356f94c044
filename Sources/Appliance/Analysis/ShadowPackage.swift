import Analysis
import Inference

/// A task's shadow package as the analysis service found it before an image.
enum ShadowPackage: Sendable {
    /// Loaded: it reads the image after the active package.
    case ready(ImageAnalyzer)
    /// Designated but it does not verify or load: each image gets a failed shadow run with the
    /// reason, so the agreement says how many images it missed.
    case unusable(ShadowDesignation, reason: String)
}
