// MARK: - Chat template (ChatML)

/// One chat turn.
public struct ChatMessage: Sendable, Equatable {
    public var role: String     // "system", "user", "assistant"
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

extension TextTokenizer {
    /// The prompt text for `messages` in ChatML, the format of this model's `tokenizer.chat_template`:
    ///   <|im_start|>{role}\n{content}<|im_end|>\n ... [<|im_start|>assistant\n]
    /// When the first message is not a system message, the template's default system message is
    /// put first (SmolLM2: "You are a helpful AI assistant named SmolLM, trained by Hugging Face").
    /// Not a Jinja interpreter: returns nil when the file has no template or it is not ChatML.
    /// Encode the result with `allowSpecial: true`.
    public func chatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String? {
        guard let source = chatTemplateSource, source.contains("<|im_start|>"), source.contains("<|im_end|>") else {
            return nil
        }
        var text = ""
        if let first = messages.first, first.role != "system", let system = ChatTemplate.defaultSystemMessage(in: source) {
            text += "<|im_start|>system\n\(system)<|im_end|>\n"
        }
        for message in messages {
            text += "<|im_start|>\(message.role)\n\(message.content)<|im_end|>\n"
        }
        if addGenerationPrompt { text += "<|im_start|>assistant\n" }
        return text
    }
}

enum ChatTemplate {
    /// The literal default system message of a ChatML Jinja template, if it has one.
    static func defaultSystemMessage(in source: String) -> String? {
        let marker = "<|im_start|>system\n"
        guard let start = source.range(of: marker), let end = source.range(of: "<|im_end|>", range: start.upperBound..<source.endIndex)
        else { return nil }
        let message = String(source[start.upperBound..<end.lowerBound])
        // A template that inserts a variable there has no literal default.
        return message.contains("{{") || message.contains("'") ? nil : message
    }
}
