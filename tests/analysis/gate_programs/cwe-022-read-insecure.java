import java.io.IOException;
import java.nio.file.*;
import javax.servlet.http.*;

public class ReadFileServlet extends HttpServlet {
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        // read the requested file from the uploads folder
        String path = request.getParameter("path");
        Path file = Paths.get("/srv/uploads", path);
        String content = new String(Files.readAllBytes(file));
        response.setContentType("text/plain");
        response.getWriter().write(content);
    }
}
