import java.io.IOException;
import java.nio.charset.StandardCharsets;
import javax.servlet.http.*;
import org.springframework.web.util.HtmlUtils;

public class SearchServlet extends HttpServlet {
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String query = HtmlUtils.htmlEscape(request.getParameter("q"));
        String body = "<h2>Results for " + query + "</h2>";
        response.setContentType("text/html");
        response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }
}
