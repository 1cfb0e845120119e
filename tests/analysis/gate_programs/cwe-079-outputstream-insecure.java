import java.io.IOException;
import java.nio.charset.StandardCharsets;
import javax.servlet.http.*;

public class SearchServlet extends HttpServlet {
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String query = request.getParameter("q");
        String body = "<h2>Results for " + query + "</h2>";
        response.setContentType("text/html");
        response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }
}
