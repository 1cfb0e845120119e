import java.io.*;
import java.nio.file.*;
import javax.servlet.http.*;

public class ReadFileServlet extends HttpServlet {
    private static final File BASE = new File("/srv/uploads");

    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getParameter("path");
        File file = new File(BASE, path);
        if (!file.getCanonicalPath().startsWith(BASE.getCanonicalPath() + File.separator)) {
            response.sendError(HttpServletResponse.SC_FORBIDDEN);
            return;
        }
        response.setContentType("text/plain");
        response.getOutputStream().write(Files.readAllBytes(file.toPath()));
    }
}
