import java.io.*;
import java.nio.file.*;
import javax.servlet.ServletException;
import javax.servlet.http.*;

public class DownloadServlet extends HttpServlet {
    private static final String BASE_DIR = "/var/www/files";

    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        String fileName = request.getParameter("file");
        File file = new File(BASE_DIR, fileName);
        response.setContentType("application/octet-stream");
        try (InputStream in = new FileInputStream(file); OutputStream out = response.getOutputStream()) {
            in.transferTo(out);
        }
    }
}
