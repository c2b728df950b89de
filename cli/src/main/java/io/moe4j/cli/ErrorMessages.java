package io.moe4j.cli;

/** Turns an exception into the one line a user sees; stack traces only with {@code -Dmoe4j.debug=true}. */
final class ErrorMessages {
    private ErrorMessages() {}

    static String oneLine(Throwable e) {
        Throwable t = e;
        // Wrappers without a message of their own say nothing the cause doesn't.
        while (t.getCause() != null && (t.getMessage() == null || t.getMessage().equals(t.getCause().toString()))) {
            t = t.getCause();
        }
        if (t instanceof java.nio.file.NoSuchFileException missing) return "no such file: " + missing.getFile();
        if (t instanceof java.nio.file.AccessDeniedException denied) return "permission denied: " + denied.getFile();
        String message = t.getMessage();
        if (message == null || message.isBlank()) message = t.getClass().getSimpleName();
        else if (!(t instanceof IllegalArgumentException || t instanceof IllegalStateException
                || t.getClass().getPackageName().startsWith("io.moe4j"))) {
            message = t.getClass().getSimpleName() + ": " + message;
        }
        return message.replace('\n', ' ');
    }
}
