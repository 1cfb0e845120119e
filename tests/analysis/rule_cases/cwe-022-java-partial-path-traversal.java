import java.io.File;
import java.io.IOException;

class Unpacker {
    static File inside(File root, String entry) throws IOException {
        File out = new File(root, entry);
        // ruleid: cwe-022-java-partial-path-traversal
        if (!out.getCanonicalPath().startsWith(root.getCanonicalPath())) {
            throw new IOException("outside " + root);
        }
        return out;
    }

    static File insidePath(File root, String entry) throws IOException {
        File out = new File(root, entry);
        // ok: cwe-022-java-partial-path-traversal
        if (!out.getCanonicalFile().toPath().startsWith(root.getCanonicalFile().toPath())) {
            throw new IOException("outside " + root);
        }
        return out;
    }

    static boolean withSeparator(File root, File out) throws IOException {
        // ok: cwe-022-java-partial-path-traversal
        return out.getCanonicalPath().startsWith(root.getCanonicalPath() + File.separator);
    }
}
