import java.io.IOException;
import java.nio.file.*;
import javax.servlet.http.*;

public class ReadFileServlet extends HttpServlet {
    private static final Path ROOT = Paths.get("/srv/uploads").toAbsolutePath().normalize();

    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Path file = ROOT.resolve(request.getParameter("path")).normalize();
        if (!file.startsWith(ROOT)) {
            response.sendError(403, "forbidden");
            return;
        }
        Files.copy(file, response.getOutputStream());
    }
}
