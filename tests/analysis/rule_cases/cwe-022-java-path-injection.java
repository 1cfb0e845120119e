import java.io.*;
import java.nio.file.*;
import javax.servlet.http.*;
import org.apache.commons.io.FilenameUtils;

public class FileServlet extends HttpServlet {
    private static final File BASE = new File("/srv/uploads");

    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String name = request.getParameter("file");
        File file = new File(BASE, name);
        // ruleid: cwe-022-java-path-injection
        InputStream in = new FileInputStream(file);
        // ruleid: cwe-022-java-path-injection
        byte[] data = Files.readAllBytes(Paths.get("/srv/uploads", name));
        // ruleid: cwe-022-java-path-injection
        Files.delete(Paths.get("/srv/uploads").resolve(request.getParameter("old")));
        // ok: cwe-022-java-path-injection
        Files.readAllBytes(Paths.get("/srv/uploads", Paths.get(name).getFileName().toString()));
        // ok: cwe-022-java-path-injection
        new FileReader(new File(BASE, FilenameUtils.getName(name)));
        // ok: cwe-022-java-path-injection
        new FileInputStream(new File(BASE, "index.html"));
    }

    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        File file = new File(BASE, request.getParameter("file"));
        if (!file.getCanonicalPath().startsWith(BASE.getCanonicalPath() + File.separator)) {
            response.sendError(403);
            return;
        }
        // ok: cwe-022-java-path-injection
        Files.copy(file.toPath(), response.getOutputStream());
    }

    protected void doPut(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Path root = Paths.get("/srv/uploads").normalize();
        Path target = root.resolve(request.getParameter("file")).normalize();
        if (target.startsWith(root)) {
            // ok: cwe-022-java-path-injection
            Files.copy(request.getInputStream(), target);
        }
    }

    protected void doDelete(HttpServletRequest request, HttpServletResponse response) throws IOException {
        // ruleid: cwe-022-java-path-injection
        Files.write(Paths.get(request.getPathInfo()), new byte[0]);
    }
}
