import java.io.*;
import java.nio.file.*;
import javax.servlet.http.*;

public class DownloadServlet extends HttpServlet {
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        // keep only the file name: no directory parts from the request
        String name = Paths.get(request.getParameter("file")).getFileName().toString();
        Path file = Paths.get("/var/www/files").resolve(name);
        response.setContentType("application/octet-stream");
        Files.copy(file, response.getOutputStream());
    }
}
